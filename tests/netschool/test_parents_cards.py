"""Students' parents cards (``userinfo/{id}/parents``), through the emulator and the connector.

A school has thousands of them and they change rarely: an incremental sync reads only the
cards the store does not hold yet, a full sync reads them all.  A server that refuses the
cards (issue 14: 403, 404, 5xx) does not stop the sync: the journal is pulled, the parents
stay as the store knew them, and the run says so in Russian, naming no one.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import Engine, select

from connectors.netschool.client import ClientSettings
from connectors.netschool.errors import final_error
from connectors.netschool.pull import refused_status
from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.world import World
from local_store.runs import RunStatus, get_run
from local_store.schema import version_table
from pipelines.netschool import NetSchoolConfig, sync_netschool
from tests.netschool.expect import expected, stored

CARD = re.compile(r"^/webapi/userinfo/\d+/parents$")


@pytest.fixture(scope="module")
def school() -> tuple[World, dict[str, object]]:
    data = generate("talmenka", 40, 2, 11)
    return World.from_dict(data), data


def _cards_read(emu: RunningEmulator) -> int:
    return sum(n for path, n in emu.state.hits.items() if CARD.match(path))


def _children_with_cards(engine: Engine) -> set[str]:
    table = version_table("parent_link")
    with engine.connect() as conn:
        return {
            str(c)
            for c in conn.execute(
                select(table.c.f_child_id).where(table.c.superseded_run_id.is_(None))
            ).scalars()
        }


def _config(emu: RunningEmulator, world: World, data: dict[str, object]) -> NetSchoolConfig:
    platform = data["platform"]
    assert isinstance(platform, dict)
    deputy = next(a for a in world.accounts if a["role"] == "deputy")
    return NetSchoolConfig(
        base_url=emu.url,
        deployment=str(platform["deployment"]),
        school_id=int(deputy["school_id"]),
        login=str(deputy["login"]),
        timezone=world.timezone,
        profile_id="talmenka",
        client=ClientSettings(backoff_initial=0.01, backoff_max=0.05, attempts=2),
    )


def test_cards_are_read_once_and_a_refusing_server_leaves_them_as_known(
    engine: Engine, school: tuple[World, dict[str, object]]
) -> None:
    world, data = school
    deputy = next(a for a in world.accounts if a["role"] == "deputy")
    password = str(deputy["password"])
    at = dt.datetime.fromisoformat(str(data["lessons_until"])) - dt.timedelta(days=6, hours=9)
    want = expected(world, at)
    assert sum(want["parent_link"].values()) > 30, "a school's worth of cards"
    with start_emulator(world, as_of=at) as emu:
        config = _config(emu, world, data)
        students = len(emu.state.school().student_class)

        # 1. A server that refuses the cards: the sync goes on, without parents.
        emu.set_faults(parents_status=403)
        refused = sync_netschool(engine, config, password, full=True)
        assert refused.status is RunStatus.SUCCEEDED, refused.error
        assert sum(stored(engine)["lesson"].values()) == sum(want["lesson"].values())
        assert not stored(engine)["parent_link"], "no card was read"
        assert _cards_read(emu) <= config.client.concurrency, "it stopped asking at the refusal"
        (warning,) = refused.warnings
        assert "карточках родителей (HTTP 403)" in warning and "продолжена" in warning
        run = get_run(engine, refused.run_id)
        assert run is not None and run.counts is not None
        assert run.counts["_warnings"] == [warning]
        names = {p[1] for p in want["person"]} | {p[2] for p in want["person"]}
        assert not any(name and name in warning for name in names), "no personal data"

        # 2. The server serves them again: an incremental sync reads every card it lacks.
        emu.reset_faults()
        before = _cards_read(emu)
        second = sync_netschool(engine, config, password)
        assert second.status is RunStatus.SUCCEEDED and not second.warnings
        listed = _cards_read(emu) - before
        assert listed >= students, "every listed student's card, those who left too"
        have = stored(engine)
        assert have["parent_link"] == want["parent_link"]
        assert have["person"] == want["person"]

        # 3. The next incremental sync reads only the cards of students with no parents on
        # them, and the stored parents come out unchanged.
        without = listed - len(_children_with_cards(engine))
        before = _cards_read(emu)
        third = sync_netschool(engine, config, password)
        assert third.status is RunStatus.SUCCEEDED
        assert _cards_read(emu) - before == without < listed // 4
        counts = third.counts.as_dict()
        assert counts["parent_link"]["unchanged"] == sum(want["parent_link"].values())
        assert all(
            counts[k][c] == 0
            for k in ("parent_link", "person")
            for c in ("added", "changed", "removed")
        )

        # 4. A full sync re-reads them all; failing on them (5xx after retries) keeps the
        # cards the store holds, nothing is removed.
        emu.set_faults(parents_status=500)
        fourth = sync_netschool(engine, config, password, full=True)
        assert fourth.status is RunStatus.SUCCEEDED, fourth.error
        assert any("HTTP 500" in w for w in fourth.warnings)
        counts = fourth.counts.as_dict()
        assert counts["parent_link"]["removed"] == 0 and counts["person"]["removed"] == 0
        assert stored(engine)["parent_link"] == want["parent_link"]
        emu.reset_faults()
        before = _cards_read(emu)
        fifth = sync_netschool(engine, config, password, full=True)
        assert fifth.status is RunStatus.SUCCEEDED and not fifth.warnings
        assert _cards_read(emu) - before == listed, "a full sync reads every card"


def test_only_a_refusal_degrades() -> None:
    """403, 404 and 5xx on a card are the server refusing it; an unreachable server or a
    session it will not take stop the pull as before."""

    def failed(status: int) -> Exception:
        request = httpx.Request("GET", "http://127.0.0.1/webapi/userinfo/1/parents")
        cause = httpx.HTTPStatusError("x", request=request, response=httpx.Response(status))
        error = final_error(cause, "127.0.0.1")
        error.__cause__ = cause
        return error

    assert [refused_status(failed(s)) for s in (403, 404, 500, 503)] == [403, 404, 500, 503]
    assert refused_status(failed(401)) is None
    assert refused_status(failed(429)) is None
    unreachable = final_error(httpx.ConnectError("refused"), "127.0.0.1")
    unreachable.__cause__ = httpx.ConnectError("refused")
    assert refused_status(unreachable) is None
