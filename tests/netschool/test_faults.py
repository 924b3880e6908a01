"""Every fault knob: the sync completes correctly or stops with nothing written; the next run completes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from connectors.netschool.client import NetSchoolClient
from emulators.netschool.server import RunningEmulator
from emulators.scenario.world import World
from local_store.runs import RunStatus, get_run
from local_store.schema import version_table
from pipelines.netschool import sync_netschool
from tests.netschool.conftest import config_for
from tests.netschool.expect import KINDS, expected, stored
from tests.netschool.worlds import D3, DEPUTY_PASSWORD, D

SURVIVABLE: dict[str, dict[str, Any]] = {
    "latency": {"latency": 0.01},
    "5xx_every": {"error_every": 7},
    "5xx_rate": {"error_rate": 0.08, "seed": 11},
    "429_retry_after": {"throttle_every": 60, "retry_after": 1},
    "session_expiry": {"session_expiry_after": 25},
    "malformed_json": {"malformed_every": 9},
    "dropped_connections": {"drop_every": 13},
    "old_server_version": {"version": "5.20.0"},
}


def _no_changes(outcome_counts: dict[str, dict[str, int]]) -> bool:
    return all(
        (c["added"], c["changed"], c["removed"]) == (0, 0, 0) for c in outcome_counts.values()
    )


@pytest.mark.parametrize("knob", sorted(SURVIVABLE))
def test_sync_survives_fault(
    knob: str, engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    emulator.set_faults(**SURVIVABLE[knob])
    outcome = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    want = expected(world, D)
    have = stored(engine)
    for kind in KINDS:
        assert have[kind] == want[kind], f"{knob}: {kind} lost or duplicated"
    if knob == "session_expiry":
        assert emulator.state.hits["/webapi/login"] >= outcome.requests // 25, "sessions renewed"
    emulator.reset_faults()
    again = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert again.status is RunStatus.SUCCEEDED and again.counts is not None
    assert _no_changes(again.counts.as_dict()), f"{knob}: the clean rerun found differences"


def _versions(engine: Engine) -> int:
    total = 0
    with engine.connect() as conn:
        for kind in KINDS:
            if kind == "final":
                continue  # period marks live in the mark table
            total += conn.execute(
                select(func.count()).select_from(version_table(kind))
            ).scalar_one()
    return total


FATAL: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "hanging_server": ({"hang": True}, {"timeout": 0.3, "attempts": 2}, "не отвечает"),
    "5xx_always": ({"error_rate": 1.0}, {"attempts": 3}, "ошибкой 500"),
    "unknown_version": ({"version": "6.1.0"}, {}, "не поддерживается"),
    "drops_always": ({"drop_rate": 1.0}, {"attempts": 2}, "обрывает соединение"),
}


@pytest.mark.parametrize("knob", sorted(FATAL))
def test_fatal_fault_stops_with_nothing_written_and_next_run_completes(
    knob: str, engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    faults, client, phrase = FATAL[knob]
    emulator.set_faults(**faults)
    failed = sync_netschool(engine, config_for(emulator, **client), DEPUTY_PASSWORD, full=True)
    assert failed.status is RunStatus.FAILED
    assert failed.error is not None and phrase in failed.error
    assert get_run(engine, failed.run_id).status is RunStatus.FAILED
    assert _versions(engine) == 0, "a failed pull must not ingest anything"
    emulator.reset_faults()
    done = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert done.status is RunStatus.SUCCEEDED, done.error
    have, want = stored(engine), expected(world, D)
    assert all(have[k] == want[k] for k in KINDS)


def test_failure_mid_pull_keeps_the_previous_state(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    first = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert first.status is RunStatus.SUCCEEDED
    emulator.set_clock(D3)
    api_so_far = sum(n for path, n in emulator.state.hits.items() if path.startswith("/webapi"))
    emulator.set_faults(fail_after=api_so_far + 60)
    failed = sync_netschool(engine, config_for(emulator, attempts=2), DEPUTY_PASSWORD, full=True)
    assert failed.status is RunStatus.FAILED
    assert failed.requests > 20, "the failure came mid-pull, not at login"
    have = stored(engine)
    want = expected(world, D)
    assert all(have[k] == want[k] for k in KINDS), "nothing of the failed pull was written"
    emulator.reset_faults()
    resumed = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert resumed.status is RunStatus.SUCCEEDED
    have, want = stored(engine), expected(world, D3)
    assert all(have[k] == want[k] for k in KINDS)


async def test_retry_after_is_honoured(emulator: RunningEmulator) -> None:
    emulator.set_faults(throttle_every=4, retry_after=1)
    cfg = config_for(emulator, concurrency=1)
    started = time.monotonic()
    async with NetSchoolClient(
        cfg.base_url, cfg.login, DEPUTY_PASSWORD, cfg.school_id, settings=cfg.client
    ) as client:
        await client.context()  # logindata, getdata, login, context → 429, context
        await client.current_year()
        await client.terms()
        await client.vacations()  # the 8th request → 429, then again
    elapsed = time.monotonic() - started
    assert emulator.requests() >= 10
    assert elapsed >= 2.0, "each 429 waits the server's Retry-After, not the short backoff"
