"""Issue 12: one kill -9 trial of a journal sync (ЭлЖур, generated school, real emulator):
after the kill, the next command marks the dead run interrupted, and a plain sync leaves the
store equal to one never interrupted — nothing lost, doubled or half-written.  Many trials on
both backends: ``benchmarks/chaos.py``."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.journal_kills import kill_trials


def test_a_killed_journal_sync_leaves_nothing_lost_doubled_or_half_written(
    tmp_path: Path,
) -> None:
    seen = kill_trials(1, lambda tag: f"sqlite:///{tmp_path / tag}.sqlite", seed=3)
    assert seen["trials"] == 1 and seen["killed"] == 1
    assert seen["records_compared"] > 1000
    for bad in ("left_running", "resync_failed", "lost", "extra", "duplicated", "half_written"):
        assert seen[bad] == 0, (bad, dict(seen))
