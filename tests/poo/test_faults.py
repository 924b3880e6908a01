"""Every fault knob and the session cap: the sync completes, or stops resumably and the next run completes.

After each scenario the store must equal the scenario (nothing lost) and hold
exactly one entity per record (nothing duplicated).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from connectors.poo.client import password_hash
from connectors.poo.errors import Hanging, PooError, ServerError, SessionLimit
from emulators.poo import RunningEmulator
from emulators.scenario.world import World
from local_store.runs import RunStatus, get_run, list_runs
from local_store.schema import entity, run_scope
from pipelines.poo import run_poo_sync
from tests.poo.conftest import sync_config
from tests.poo.expect import assert_same, expected, pulled
from tests.poo.world_builder import ADMIN, D


def _no_duplicates(engine: Engine) -> None:
    with engine.connect() as conn:
        dupes = conn.execute(
            select(entity.c.kind, entity.c.external_id, func.count())
            .group_by(entity.c.kind, entity.c.platform, entity.c.deployment, entity.c.external_id)
            .having(func.count() > 1)
        ).all()
    assert dupes == []


def _complete(engine: Engine, world: World) -> None:
    assert_same(pulled(engine), expected(world, D))
    _no_duplicates(engine)


@pytest.mark.parametrize(
    "knobs",
    [
        {"error_rate": 0.15},
        {"throttle_rate": 0.1, "retry_after": 0},
        {"malformed_rate": 0.15},
        {"drop_rate": 0.15},
        {"expire_after": 7},
        {"expire_after": 7, "lapse": "redirect"},
        {"expire_after": 5, "session_cap": 1},
        {"server_version": "2024"},
        {"login_body": "empty"},
        {"latency_ms": 20},
    ],
    ids=lambda k: ",".join(f"{n}={v}" for n, v in k.items()),
)
async def test_sync_completes_under_fault(
    engine: Engine, emulator: RunningEmulator, world: World, knobs: dict[str, Any]
) -> None:
    emulator.emulator.faults.update({**knobs, "seed": 3})
    outcome = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    assert get_run(engine, outcome.run_id).status is RunStatus.SUCCEEDED
    _complete(engine, world)
    if any(k in knobs for k in ("error_rate", "throttle_rate", "malformed_rate", "drop_rate")):
        assert outcome.retries > 0, "the knob was never hit: the test proves nothing"
    if "expire_after" in knobs:
        assert outcome.relogins > 0
    # A second run over the same data changes nothing and duplicates nothing.
    emulator.emulator.faults.update({"seed": 4})
    again = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    assert all(
        c["added"] == c["changed"] == c["removed"] == 0 for c in again.counts.as_dict().values()
    )
    _complete(engine, world)


async def test_retry_after_is_honoured(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    import time

    emulator.emulator.faults.update({"throttle_rate": 0.05, "retry_after": 1, "seed": 5})
    started = time.monotonic()
    outcome = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    assert outcome.retries >= 1
    assert time.monotonic() - started >= outcome.retries * 0.9
    _complete(engine, world)


async def test_outage_mid_sync_stops_resumably(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    emulator.emulator.faults.update({"outage_after": 22})
    with pytest.raises(ServerError) as caught:
        await run_poo_sync(engine, sync_config(emulator.url, attempts=2), as_of=D, whole_year=True)
    assert "ошибка на стороне сервера" in str(caught.value)
    (failed,) = list_runs(engine, source="poo")
    assert failed.status is RunStatus.FAILED and failed.error
    with engine.connect() as conn:
        done = conn.execute(
            select(func.count()).select_from(run_scope).where(run_scope.c.run_id == failed.id)
        ).scalar_one()
    assert done > 0, "the structure and the first group were kept"

    emulator.emulator.faults.update({"outage_after": 0})
    emulator.emulator.requests = 0
    outcome = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    assert get_run(engine, outcome.run_id).status is RunStatus.SUCCEEDED
    _complete(engine, world)


async def test_hanging_server_fails_then_next_run_completes(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    emulator.emulator.faults.update({"latency_ms": 800})
    with pytest.raises(Hanging) as caught:
        await run_poo_sync(
            engine, sync_config(emulator.url, timeout=0.2, attempts=2), as_of=D, whole_year=True
        )
    assert "не ответил вовремя" in str(caught.value)
    assert pulled(engine)["lesson"] == {}, "nothing half-written"
    emulator.emulator.faults.update({"latency_ms": 0})
    await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    _complete(engine, world)


async def test_session_cap_leaked_session_then_resume(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    emulator.emulator.faults.update({"session_cap": 1})
    # Another client of the same account holds the only session and never logs out.
    with httpx.Client(base_url=emulator.url) as other:
        answer = other.post(
            "/services/security/login",
            json={"login": ADMIN[0], "password": password_hash(ADMIN[1]), "isRemember": False},
        )
        assert answer.status_code == 200
        with pytest.raises(SessionLimit) as caught:
            await run_poo_sync(
                engine, sync_config(emulator.url, attempts=2), as_of=D, whole_year=True
            )
        assert "одновременных сеансов" in str(caught.value)
    (failed,) = list_runs(engine, source="poo")
    assert failed.status is RunStatus.FAILED
    assert pulled(engine)["student"] == {}

    emulator.emulator.sessions.expire_all(ADMIN[0])
    outcome = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    assert get_run(engine, outcome.run_id).status is RunStatus.SUCCEEDED
    _complete(engine, world)
    assert emulator.emulator.sessions.live_for(ADMIN[0]) == 0, "the job logged out"


async def test_every_failure_is_a_russian_sentence(
    emulator: RunningEmulator, engine: Engine
) -> None:
    emulator.emulator.faults.update({"error_rate": 1.0})
    with pytest.raises(PooError) as caught:
        await run_poo_sync(engine, sync_config(emulator.url, attempts=2), as_of=D)
    text = str(caught.value)
    assert "\n" not in text and any("а" <= ch <= "я" for ch in text)
