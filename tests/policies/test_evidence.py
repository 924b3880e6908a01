"""§8 evidence: violated / possibly violated / met from the two sync moments."""

from __future__ import annotations

import datetime as dt

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
