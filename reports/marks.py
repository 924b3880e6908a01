"""Reading marks and absences the way the regulations count them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from reports.data import JournalData, ReportPeriod, Row

PASS = "pass"
FAIL = "fail"
Grade = int | str

_PASS_WORDS = {"зч", "зач", "зачет", "зачёт", "зачтено", "з", "осв", "усв"}
_FAIL_WORDS = {"нз", "н/а", "на", "н/з", "незачет", "незачёт", "не зачтено", "неуд"}


def grade(mark: Row) -> Grade | None:
    """«5», «4-», 4.0 → 4; «зч» → pass; «н/а» → fail; anything else → ``None`` (not counted)."""
    value = str(mark.get("value") or "").strip().casefold()
    if value in _FAIL_WORDS:
        return FAIL
    if value in _PASS_WORDS:
        return PASS
    numeric = mark.get("numeric")
    if numeric is not None and 1 <= float(numeric) <= 5:
        return round(float(numeric))
    if value[:1].isdigit() and 1 <= int(value[0]) <= 5:
        return int(value[0])
    return None


def is_failing(g: Grade | None) -> bool:
    return g == FAIL or (isinstance(g, int) and g <= 2)


def student_groups(data: JournalData) -> dict[str, str]:
    """Each student's current group (studying or on leave)."""
    out: dict[str, str] = {}
    for e in sorted(data.all("enrolment"), key=lambda r: str(r["starts_on"] or "")):
        if e["status"] in ("studying", "academic_leave"):
            out[e["student_id"]] = e["group_id"]
    return out


RESULT_KINDS = ("period", "attestation")
"""Final marks that give a period's result, weakest first: a school's quarter or
semester mark, and a college's intermediate attestation (промежуточная аттестация),
the only period result «Модуль ПОО» carries; where both exist the attestation wins."""


def final_marks(data: JournalData, period: ReportPeriod) -> dict[tuple[str, str], Grade]:
    """(student, subject) → the period's result for ``period``."""
    out: dict[tuple[str, str], Grade] = {}
    marks = [m for m in data.all("mark") if m["final_kind"] in RESULT_KINDS]
    for m in sorted(marks, key=lambda m: RESULT_KINDS.index(m["final_kind"])):
        pid = m.get("period_id")
        if period.period_id and pid:
            if pid != period.period_id:
                continue
        elif not period.contains(m["date"]):
            continue
        g = grade(m)
        if g is not None:
            out[(m["student_id"], m["subject_id"])] = g
    return out


def current_averages(
    data: JournalData, period: ReportPeriod
) -> dict[tuple[str, str], tuple[float, int]]:
    """(student, subject) → (weighted average of current numeric marks, how many) in the period."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for m in data.all("mark"):
        if m["final_kind"] is not None or not period.contains(m["date"]):
            continue
        g = grade(m)
        if not isinstance(g, int):
            continue
        weight = float(m.get("weight") or 1.0)
        acc = sums[(m["student_id"], m["subject_id"])]
        acc[0] += g * weight
        acc[1] += weight
        acc[2] += 1
    return {k: (round(v[0] / v[1], 2), int(v[2])) for k, v in sums.items() if v[1]}


def category(grades: Iterable[Grade]) -> str:
    """The results category of one student over all subjects of a period."""
    values = list(grades)
    if not values:
        return "not_attested"
    if any(is_failing(g) for g in values):
        return "failing"
    numeric = [g for g in values if isinstance(g, int)]
    if numeric and all(g == 5 for g in numeric):
        return "excellent"
    if all(g >= 4 for g in numeric):
        return "good"
    if sum(1 for g in numeric if g == 3) == 1:
        return "one_three"
    return "satisfactory"


ABSENCE_VALID_CODES = frozenset({"УП", "Б", "ОСВ"})


def absence_kind(a: Row) -> str:
    """``late``, ``illness``, ``valid``, ``invalid`` or ``unset``."""
    code = a["code"]
    if code == "ОП":
        return "late"
    if code == "Б":
        return "illness"
    if code in ABSENCE_VALID_CODES or a.get("valid") is True:
        return "valid"
    if code == "НП" or a.get("valid") is False:
        return "invalid"
    return "unset"


def lesson_hours(lesson: Row | None) -> float:
    if lesson is None or lesson.get("hours") in (None, 0):
        return 1.0
    return float(lesson["hours"])
