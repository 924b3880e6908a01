"""A student back from academic leave, through the emulator and the connector.

Until the return order is entered the pulled journal must not show the student studying:
the registry still (rightly) holds the leave, and ``contingent.registry.match`` would
report a difference nobody made (issue 14: usolye, 30 students, two weeks, seed 1).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from sqlalchemy import Engine

from canonical.contingent import Enrolment
from emulators.poo import EmulatorConfig, start_emulator
from emulators.poo.ids import Ids
from emulators.scenario.generate import generate
from emulators.scenario.world import World
from local_store.history import records_as_of
from pipelines.poo import run_poo_sync
from tests.poo.conftest import TENANT, sync_config

FAR = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@cache
def usolye() -> World:
    return World.from_dict(generate("usolye", students=30, weeks=2, seed=1))


def _open_statuses(engine: Engine, student: str, run_id: int) -> list[tuple[str, dt.date | None]]:
    enrolments = records_as_of(engine, "enrolment", run_id)
    return [
        (e.status.value, e.starts_on)
        for e in enrolments
        if isinstance(e, Enrolment) and e.student_id == student and e.ends_on is None
    ]


async def test_return_from_leave_is_not_studying_before_it_is_entered(engine: Engine) -> None:
    world = usolye()
    orders = world.state_as_of(FAR, kinds=["movement_order"]).kind("movement_order")
    back = next(o for o in orders.values() if o["movement"] == "return")
    entered: dt.datetime = back["created_at"]
    student = f"student:{Ids(world).of('person', back['student_id'])}"
    account = next(a for a in world.accounts if a["role"] == "deputy")
    before, after = entered - dt.timedelta(hours=1), entered + dt.timedelta(hours=1)
    running = start_emulator(EmulatorConfig(world=world, as_of=before, tenant=TENANT))
    try:
        cfg = sync_config(running.url, str(account["login"]), str(account["password"]))
        first = await run_poo_sync(engine, cfg, as_of=before, whole_year=True)
        running.emulator.set_clock(after)
        second = await run_poo_sync(engine, cfg, as_of=after)
    finally:
        running.stop()
    # on leave the day before: no open enrolment, the leave's order closed the last one
    assert _open_statuses(engine, student, first.run_id) == []
    effective = dt.date.fromisoformat(back["effective_date"])
    assert _open_statuses(engine, student, second.run_id) == [("studying", effective)]
