"""Issue 12: kill -9 trials of the СМЭВ pulls (ЕПГУ applications, the registry's view,
«Е-услуги» notices; the incoming ones also through «Адаптер СМЭВ»; generated school, the СМЭВ emulator on loopback, the pull in a child
process killed at a random write or right after СМЭВ answered a call): after the kill, the next
command marks the dead run interrupted, and a plain rerun leaves the store and the parties
as a run never interrupted would — no application lost or answered twice, none acknowledged
but not stored, nothing half-written.  Two trials on SQLite and one on PostgreSQL per pull
here; many more in ``python -m benchmarks.chaos --kills N``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.reliability.smev_kills import JOBS, kill_trials
from tests.reliability.test_journal_kill import _urls

BAD = (
    "left_running",
    "child_failed",
    "rerun_failed",
    "lost",
    "extra",
    "duplicated",
    "half_written",
    "sent_twice",
    "answers_extra",
    "answers_missing",
    "not_acknowledged",
    "outbox_unfinished",
)
TRIALS = {"sqlite": 2, "postgresql": 1}
ANSWERS = {"epgu": 16, "e_uslugi": 4, "contingent": 0, "epgu_adapter": 16, "e_uslugi_adapter": 4}
"""Answers (receipts) the parties get per run: 8 applications × 2 answers, 4 notices."""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("job", JOBS)
def test_a_killed_smev_pull_loses_nothing_and_answers_nothing_twice(
    job: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    trials = TRIALS[backend]
    seen = kill_trials(trials, _urls(backend, tmp_path, request), seed_no=5, job=job)
    assert seen["trials"] == trials and seen["killed"] == trials, dict(seen)
    assert seen["records_compared"] > 1000 * trials, dict(seen)
    assert seen["answers_compared"] == ANSWERS[job] * trials, dict(seen)
    for bad in BAD:
        assert seen[bad] == 0, (bad, dict(seen))
