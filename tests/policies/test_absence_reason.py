"""absence.reason.deadline (tpt 4.5, weekly): the reason is judged as an entry of its own."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from canonical.base import Record
from local_store.violations import list_violations
from policies.engine import run_check
from policies.evidence import Verdict
from policies.profiles import load_profile
from tests.policies.store import rec, sync

UTC = dt.UTC
MONDAY = dt.date(2026, 10, 5)
# tpt's week is six school days: the reason for Monday's absence is due by the
# end of Saturday 10.10 in Tomsk (UTC+7): 23:59:59 local, 16:59:59 UTC.
DUE = dt.datetime(2026, 10, 10, 16, 59, 59, tzinfo=UTC)


def _lesson() -> Record:
    return rec(
        "lesson",
        "L1",
        group_id="G1",
        subject_id="S1",
        teacher_id="T1",
        date=MONDAY,
        starts_at=dt.time(9, 0),
        ends_at=dt.time(10, 30),
    )


def _absence(code: str = "Б") -> Record:
    return rec(
        "absence",
        "A1",
        student_id="P1",
        lesson_id="L1",
        date=MONDAY,
        code=code,
        valid=True if code in ("Б", "УП") else None,
    )


def _reason_verdict(engine: Engine, t0: dt.datetime, t: dt.datetime, code: str = "Б") -> str | None:
    """The absence arrives together with its reason, first seen at T (previous sync T0)."""
    sync(engine, t0, {"journal:G1": [_lesson()]})
    sync(engine, t, {"journal:G1": [_lesson(), _absence(code)]})
    run_check(engine, load_profile("tpt"), rules=["absence.reason.deadline"])
    found = list_violations(engine, rule_id="absence.reason.deadline")
    assert len(found) <= 1
    return found[0]["verdict"] if found else None


def test_reason_arriving_with_a_late_absence_is_late(engine: Engine) -> None:
    # nothing at all was there when the week closed: the reason was not given in time
    got = _reason_verdict(engine, DUE + dt.timedelta(hours=9), DUE + dt.timedelta(days=1))
    assert got == Verdict.VIOLATED.value


def test_reason_arriving_with_the_absence_in_time_is_met(engine: Engine) -> None:
    assert _reason_verdict(engine, DUE - dt.timedelta(days=3), DUE) is None


def test_reason_arriving_across_the_deadline_is_possibly(engine: Engine) -> None:
    got = _reason_verdict(engine, DUE - dt.timedelta(hours=1), DUE + dt.timedelta(hours=1))
    assert got == Verdict.POSSIBLY.value


def test_a_late_arrival_entered_late_needs_no_reason(engine: Engine) -> None:
    """«ОП» (late) and «ОСВ» (exempt) are no missed lesson: no reason is ever due for them,
    so entering one after the week closed is attendance.deadline's business, not this
    rule's (tpt at 2 weeks, seed 1, reported such a late arrival as a late reason)."""
    late = (DUE + dt.timedelta(hours=9), DUE + dt.timedelta(days=1))
    assert _reason_verdict(engine, *late, code="ОП") is None


def test_an_exemption_entered_late_needs_no_reason(engine: Engine) -> None:
    late = (DUE + dt.timedelta(hours=9), DUE + dt.timedelta(days=1))
    assert _reason_verdict(engine, *late, code="ОСВ") is None
