"""What a lesson-bound violation is about, in a deputy's words: subject, lesson, teacher, student.

The policy engine judges entries by their ids; a deputy needs «Математика, 3-й урок
12.03.2025, преподаватель Котова О. И., обучающийся Иванов Иван». This module reads
only the records the violations point at (lessons, homework, absences, marks) and
writes that line, so the report names who and what without loading the whole journal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from canonical.wording import ru_date
from local_store.schema import version_table
from reports.data import JournalData

LESSON_BOUND = ("homework", "absence", "mark")
"""Kinds that hang on a lesson through ``lesson_id`` (and carry a student where they have one)."""
_CHUNK = 500


@dataclass(frozen=True)
class LessonFacts:
    subject: str
    day: str
    number: int | None
    teacher: str
    group: str


def _current(
    engine: Engine, journal: JournalData, kind: str, keys: set[str], *fields: str
) -> dict[str, Mapping[str, Any]]:
    """Current versions of ``kind`` with these external ids, in chunks the database accepts."""
    table = version_table(kind)
    out: dict[str, Mapping[str, Any]] = {}
    ordered = sorted(keys)
    with engine.connect() as conn:
        for start in range(0, len(ordered), _CHUNK):
            query = select(table.c.external_id, *[table.c[f"f_{f}"] for f in fields]).where(
                table.c.superseded_run_id.is_(None),
                table.c.platform == journal.source.platform,
                table.c.deployment == journal.source.deployment,
                table.c.external_id.in_(ordered[start : start + _CHUNK]),
            )
            for row in conn.execute(query):
                out[row[0]] = dict(zip(fields, row[1:], strict=True))
    return out


def lesson_lines(
    engine: Engine, journal: JournalData, violations: Iterable[Mapping[str, Any]]
) -> dict[tuple[str, str], str]:
    """``(entity_kind, entity_key)`` → «Математика, 3-й урок 12.03.2025; преподаватель …»."""
    wanted: dict[str, set[str]] = {"lesson": set(), **{k: set() for k in LESSON_BOUND}}
    for v in violations:
        kind = str(v.get("entity_kind") or "")
        if kind in wanted:
            wanted[kind].add(str(v["entity_key"]))
    bound: dict[str, dict[str, Mapping[str, Any]]] = {
        kind: _current(engine, journal, kind, wanted[kind], "lesson_id", "student_id")
        if kind != "homework"
        else _current(engine, journal, kind, wanted[kind], "lesson_id")
        for kind in LESSON_BOUND
        if wanted[kind]
    }
    lesson_ids = set(wanted["lesson"])
    for rows in bound.values():
        lesson_ids |= {str(r["lesson_id"]) for r in rows.values() if r.get("lesson_id")}
    if not lesson_ids:
        return {}
    lessons = _current(
        engine,
        journal,
        "lesson",
        lesson_ids,
        "subject_id",
        "date",
        "number",
        "teacher_id",
        "group_id",
    )
    subjects = {
        key: str(row["name"])
        for key, row in _current(
            engine, journal, "subject", {str(r["subject_id"]) for r in lessons.values()}, "name"
        ).items()
    }
    facts = {
        key: LessonFacts(
            subject=subjects.get(str(r["subject_id"]), "предмет не указан"),
            day=ru_date(r["date"]),
            number=r["number"],
            teacher=journal.name_of(r["teacher_id"], short=True) if r.get("teacher_id") else "",
            group=journal.group_name(r["group_id"]) if r.get("group_id") else "",
        )
        for key, r in lessons.items()
    }
    out: dict[tuple[str, str], str] = {}
    for key in wanted["lesson"]:
        if key in facts:
            out[("lesson", key)] = lesson_line(facts[key])
    for kind, rows in bound.items():
        for key, r in rows.items():
            lesson = facts.get(str(r.get("lesson_id") or ""))
            student = journal.name_of(r["student_id"]) if r.get("student_id") else ""
            if lesson is None and not student:
                continue
            out[(kind, key)] = lesson_line(lesson, student)
    return out


def lesson_line(lesson: LessonFacts | None, student: str = "") -> str:
    """One Russian line: the subject and lesson, its teacher, and the student where there is one."""
    parts = []
    if lesson is not None:
        number = f"{lesson.number}-й урок " if lesson.number else "урок "
        parts.append(f"{lesson.subject}, {number}{lesson.day}")
        if lesson.teacher:
            parts.append(f"преподаватель {lesson.teacher}")
    if student:
        parts.append(f"обучающийся {student}")
    return "; ".join(parts)
