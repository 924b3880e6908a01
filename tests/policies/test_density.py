"""``marks.density``: who is judged, the figure, and an incremental check that keeps the rest.

Two groups of one college (kpgt, 5.2: «процент обучающихся, не имеющих оценок,
процент обучающихся, имеющих одну оценку»), four lessons each.  In G1 one
student has no mark and one has a single mark (two, where one is allowed); a
student who joined after the lessons and one absent from all of them are not
judged.  G2 is fine.  Then G1's student gets marks and only G1 is re-judged.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from canonical.base import Record
from local_store.violations import list_violations
from local_store.violations_schema import policy_figure
from policies.engine import run_check
from policies.profiles import load_profile
from tests.policies.store import rec, sync

UTC = dt.UTC
DAYS = [dt.date(2026, 10, 5 + i) for i in range(4)]
RULE = "marks.density"


def _structure() -> list[Record]:
    out: list[Record] = [
        rec(
            "period",
            "P1",
            year_id="Y",
            period_kind="semester",
            number=1,
            name="1 семестр",
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2026, 12, 28),
        )
    ]
    for g in ("G1", "G2"):
        out.append(rec("group", g, name=g, group_kind="academic_group", course=2))
        out.append(rec("teaching_assignment", f"TA{g}", group_id=g, subject_id="S", teacher_id="T"))
    return out


def _students(group: str) -> list[tuple[str, dt.date]]:
    """(student, enrolled from); the last of G1 joins after the four lessons."""
    students = [(f"{group}s{i}", dt.date(2025, 9, 1)) for i in range(1, 8)]
    if group == "G1":
        students.append(("G1late", dt.date(2026, 10, 20)))
    return students


def _journal(g: str, g1_low_marks: int = 0) -> list[Record]:
    out: list[Record] = []
    for sid, start in _students(g):
        out.append(
            rec(
                "enrolment",
                f"E{sid}",
                student_id=sid,
                group_id=g,
                status="studying",
                starts_on=start,
            )
        )
    for n, day in enumerate(DAYS):
        lid = f"{g}L{n}"
        out.append(rec("lesson", lid, group_id=g, subject_id="S", teacher_id="T", date=day))
        for sid, _ in _students(g):
            if sid == "G1late":
                continue
            if sid == "G1s7":  # ill the whole time: absent, so not judged
                out.append(
                    rec(
                        "absence",
                        f"A{sid}{n}",
                        student_id=sid,
                        lesson_id=lid,
                        date=day,
                        code="Б",
                    )
                )
                continue
            marks = 3
            if sid == "G1s1":
                marks = g1_low_marks
            elif sid == "G1s2":
                marks = 1
            if n < marks:
                out.append(
                    rec(
                        "mark",
                        f"M{sid}{n}",
                        student_id=sid,
                        subject_id="S",
                        group_id=g,
                        lesson_id=lid,
                        date=day,
                        value="4",
                    )
                )
    return out


def _figures(engine: Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                policy_figure.c.subject_key, policy_figure.c.breached, policy_figure.c.detail
            ).where(policy_figure.c.rule_id == RULE)
        ).all()
    return {key: {"breached": bool(breached), **dict(detail)} for key, breached, detail in rows}


def test_density_judges_present_students_and_rechecks_only_what_changed(engine: Engine) -> None:
    kpgt = load_profile("kpgt")
    at = dt.datetime(2026, 10, 9, 15, tzinfo=UTC)
    sync(
        engine,
        at,
        {"structure": _structure(), "journal:G1": _journal("G1"), "journal:G2": _journal("G2")},
    )
    first = run_check(engine, kpgt, rules=[RULE], full=True)
    assert first.full
    found = list_violations(engine, rule_id=RULE)
    assert [(v["entity_key"], v["status"]) for v in found] == [("TAG1", "open")]
    figures = _figures(engine)
    # G1late (joined after the lessons) and G1s7 (absent from all of them) are not judged
    assert figures["TAG1"]["students"] == 6
    assert (figures["TAG1"]["without_marks"], figures["TAG1"]["one_mark"]) == (1, 1)
    assert figures["TAG1"]["breached"] and not figures["TAG2"]["breached"]

    # G1s1 gets three marks the next day; the sync pulls G1's journal only, and the
    # incremental check re-judges G1 only
    sync(engine, at + dt.timedelta(days=1), {"journal:G1": _journal("G1", 3)})
    inc = run_check(engine, kpgt, rules=[RULE])
    assert not inc.full
    resolved = list_violations(engine, rule_id=RULE)
    assert [(v["entity_key"], v["status"]) for v in resolved] == [("TAG1", "resolved")]
    after = _figures(engine)
    assert (after["TAG1"]["without_marks"], after["TAG1"]["one_mark"]) == (0, 1)
    assert not after["TAG1"]["breached"]
    assert after["TAG2"] == figures["TAG2"]  # G2 was not re-judged, and its figure is kept

    full = run_check(engine, kpgt, rules=[RULE], full=True)
    assert full.totals()["opened"] == full.totals()["changed"] == full.totals()["resolved"] == 0
    assert _figures(engine) == after
