"""tpt 4.8 «не позднее 3-х рабочих дней с даты отчисления»: working days of the production
calendar, though tpt studies six days a week; judged through the ПОО emulator and connector.

Hand-made expulsions on the generated college (Asia/Tomsk, December 2024):
- ordered Wednesday 25.12: Thursday 26, Friday 27 and the moved working Saturday 28.12
  → due 28.12 23:59; entered Sunday 29.12 at noon: violated (a five-day count that missed
  the moved Saturday would give 9.01 and call it in time);
- ordered Friday 20.12: Monday 23, Tuesday 24, Wednesday 25 (the ordinary Saturday 21.12
  is no working day) → due 25.12 23:59; entered 25.12 at noon: met (the six-day study
  week would give 24.12 and call it late).
Pulls at each deadline and after each entry decide both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from emulators.poo import EmulatorConfig, start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.world import World
from local_store.violations import list_violations
from pipelines.poo import run_poo_sync
from policies.engine import run_check
from policies.profiles import load_profile
from tests.poo.conftest import TENANT, sync_config

TZ = ZoneInfo("Asia/Tomsk")
RULE = "contingent.movement.deadline"
ORDERS = {"901-к": ("2024-12-25", "2024-12-29"), "902-к": ("2024-12-20", "2024-12-25")}
"""Order number → (order date, the day it is entered, at noon)."""


def _rows(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    table = data["tables"][kind]
    return [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]


def _add(data: dict[str, Any], kind: str, **row: Any) -> None:
    table = data["tables"][kind]
    values = dict.fromkeys(table["columns"]) | row
    table["rows"].append([values[c] for c in table["columns"]])


def _world() -> World:
    data: dict[str, Any] = generate("tpt", 40, 3, 3)
    moved = {o["student_id"] for o in _rows(data, "movement_order") if o["movement"] != "enrolment"}
    steady = [
        e
        for e in _rows(data, "enrolment")
        if e["status"] == "studying" and e["ends_on"] is None and e["student_id"] not in moved
    ]
    assert len(steady) >= len(ORDERS)
    for enrolment, (number, (ordered, entered)) in zip(steady, ORDERS.items(), strict=False):
        at = dt.datetime.fromisoformat(f"{entered}T12:00:00").replace(tzinfo=TZ).isoformat()
        _add(
            data,
            "movement_order",
            id=f"mo-hand-{number}",
            created_at=at,
            student_id=enrolment["student_id"],
            movement="expulsion",
            number=number,
            order_date=ordered,
            effective_date=ordered,
            from_group_id=enrolment["group_id"],
            reason="По собственному желанию",
        )
        data["edits"]["rows"] += [
            ["enrolment", enrolment["id"], at, "status", "expelled"],
            ["enrolment", enrolment["id"], at, "ends_on", ordered],
        ]
    return World.from_dict(data)


def _moment(day: str, clock: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ)


async def test_three_working_days_count_the_moved_saturday_only(engine: Engine) -> None:
    world = _world()
    deputy = next(a for a in world.accounts if a["role"] == "deputy")
    moments = [
        _moment("2024-12-24", "23:59:59"),
        _moment("2024-12-25", "13:00:00"),
        _moment("2024-12-25", "23:59:59"),
        _moment("2024-12-28", "23:59:59"),
        _moment("2024-12-29", "13:00:00"),
    ]
    running = start_emulator(EmulatorConfig(world=world, as_of=moments[0], tenant=TENANT))
    try:
        cfg = sync_config(running.url, str(deputy["login"]), str(deputy["password"]))
        for moment in moments:
            running.emulator.set_clock(moment)
            await run_poo_sync(engine, cfg, as_of=moment)
    finally:
        running.stop()
    run_check(engine, load_profile("tpt"), rules=[RULE], full=True)
    found = {
        number: v["verdict"]
        for v in list_violations(engine, rule_id=RULE, profile_id="tpt")
        for number in ORDERS
        if number in str(v["message"])
    }
    assert found == {"901-к": "violated"}
