"""Issue 12: kill -9 trials of every journal sync pipeline (ЭлЖур, NetSchool, «Модуль ПОО»;
generated institution, real emulator on loopback, the sync in a child process killed at a
random write): after the kill, the next command marks the dead run interrupted, and a plain
sync leaves the store equal to one never interrupted — nothing lost, doubled or half-written.
Two trials on SQLite and one on PostgreSQL per pipeline here; many more in
``python -m benchmarks.chaos --kills N``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import BACKENDS
from tests.reliability.journal_kills import kill_trials

BAD = ("left_running", "resync_failed", "lost", "extra", "duplicated", "half_written")
TRIALS = {"sqlite": 2, "postgresql": 1}


def _urls(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], str]:
    if backend == "sqlite":
        return lambda tag: f"sqlite:///{tmp_path / tag}.sqlite"
    server: str = request.getfixturevalue("pg_server_url")

    def make_url(tag: str) -> str:
        schema = f"k_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        return f"{server}?options=-csearch_path%3D{schema}"

    return make_url


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("platform", ["eljur", "netschool", "poo"])
def test_a_killed_journal_sync_leaves_nothing_lost_doubled_or_half_written(
    platform: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    trials = TRIALS[backend]
    seen = kill_trials(trials, _urls(backend, tmp_path, request), seed=3, platform=platform)
    assert seen["trials"] == trials and seen["killed"] == trials, dict(seen)
    assert seen["records_compared"] > 300 * trials, dict(seen)
    for bad in BAD:
        assert seen[bad] == 0, (bad, dict(seen))
