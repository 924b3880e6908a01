"""§8 evidence: violated / possibly violated / met from the two sync moments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from canonical.base import Record
from local_store.violations import list_violations
from policies.engine import run_check
from policies.evidence import Verdict, classify
from policies.profiles import load_profile
from tests.policies.store import rec, sync

UTC = dt.UTC
D = dt.datetime(2026, 10, 5, 17, 0, tzinfo=UTC)  # 20:00 in Simferopol (UTC+3)


def test_classify_cases() -> None:
    h = dt.timedelta(hours=1)
    assert classify(D, D - h, D - 2 * h) is Verdict.MET
    assert classify(D, D, D - h) is Verdict.MET  # seen exactly at the deadline
    assert classify(D, D + h, D - h) is Verdict.POSSIBLY
    assert classify(D, D + h, None) is Verdict.POSSIBLY
    assert classify(D, D + 2 * h, D) is Verdict.VIOLATED  # T0 = D: already missing at D
    assert classify(D, D + 2 * h, D + h) is Verdict.VIOLATED
    assert classify(D, D + 9 * h, D + h, source_at=D - h) is Verdict.MET  # source wins
    assert classify(D, D - h, None, source_at=D + h) is Verdict.VIOLATED


def _lesson(topic: str | None) -> Record:
    return rec(
        "lesson",
        "L1",
        group_id="G1",
        subject_id="S1",
        teacher_id="T1",
        date=dt.date(2026, 10, 5),
        topic=topic,
    )


def _topic_verdict(engine: Engine, t0: dt.datetime, t: dt.datetime) -> str | None:
    scope = "journal:G1"
    sync(engine, t0, {scope: [_lesson(None)]})
    sync(engine, t, {scope: [_lesson("Дроби")]})
    run_check(engine, load_profile("mazanka"), rules=["lesson.topic.deadline"])
    found = list_violations(engine, rule_id="lesson.topic.deadline")
    assert len(found) <= 1
    return found[0]["verdict"] if found else None


def test_topic_met(engine: Engine) -> None:
    assert _topic_verdict(engine, D - dt.timedelta(hours=3), D) is None


def test_topic_possibly(engine: Engine) -> None:
    assert _topic_verdict(engine, D - dt.timedelta(minutes=1), D + dt.timedelta(minutes=1)) == (
        Verdict.POSSIBLY.value
    )


def test_topic_violated(engine: Engine) -> None:
    assert _topic_verdict(engine, D, D + dt.timedelta(hours=12)) == Verdict.VIOLATED.value


def _series(topic_of_last: str | None) -> list[Record]:
    """Eight lessons of one group and subject, a day apart, 09:00 Simferopol (06:00 UTC)."""
    return [
        rec(
            "lesson",
            f"A{i}",
            group_id="G1",
            subject_id="S1",
            teacher_id="T1",
            date=dt.date(2026, 10, 4 + i),
            starts_at=dt.time(9, 0),
            ends_at=dt.time(9, 40),
            topic=topic_of_last if i == 8 else None,
        )
        for i in range(1, 9)
    ]


def _ahead_verdict(engine: Engine, t0: dt.datetime, t: dt.datetime) -> tuple[str, Any] | None:
    """The topic of the 8th lesson appears between T0 and T; at most 5 lessons ahead
    (mazanka 3.5.4) makes the 3rd lesson's start, 7 Oct 06:00 UTC, the earliest moment."""
    sync(engine, t0, {"journal:G1": _series(None)})
    sync(engine, t, {"journal:G1": _series("Повторение")})
    run_check(engine, load_profile("mazanka"), rules=["lesson.topic.ahead_limit"])
    found = list_violations(engine, rule_id="lesson.topic.ahead_limit")
    assert len(found) <= 1
    if not found:
        return None
    assert found[0]["entity_key"] == "A8"
    return found[0]["verdict"], found[0]["evidence"]["lessons_ahead"]


EARLIEST = dt.datetime(2026, 10, 7, 6, 0, tzinfo=UTC)


def test_ahead_violated(engine: Engine) -> None:
    # T before the 3rd lesson began; at T0, as the 1st lesson began, 7 were still to come
    got = _ahead_verdict(engine, EARLIEST - dt.timedelta(days=2), EARLIEST - dt.timedelta(days=1))
    assert got == (Verdict.VIOLATED.value, 7)


def test_ahead_possibly(engine: Engine) -> None:
    got = _ahead_verdict(engine, EARLIEST - dt.timedelta(hours=1), EARLIEST + dt.timedelta(hours=1))
    assert got == (Verdict.POSSIBLY.value, 6)


def test_ahead_met_at_the_boundary(engine: Engine) -> None:
    # absent when the 3rd lesson began, so entered at most 5 lessons ahead
    assert _ahead_verdict(engine, EARLIEST, EARLIEST + dt.timedelta(hours=5)) is None
