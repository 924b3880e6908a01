"""What a lesson-bound violation is about, in a deputy's words: subject, lesson, teacher, student.

The policy engine judges entries by their ids; a deputy needs «Математика, 3-й урок
12.03.2025, преподаватель Котова О. И., обучающийся Иванов Иван». This module reads
only the records the violations point at (lessons, homework, absences, marks) and
writes that line, so the report names who and what without loading the whole journal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from canonical.wording import ru_date
from local_store.schema import version_table
from reports.data import JournalData, journal_sources, load_journal

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
    starts_at: str = ""
    """The bell time, «08:30», where the journal gives it."""
    ends_at: str = ""
    """The lesson's end, «09:15», where the journal gives it."""
    bell: str = ""
    """The time to show: «08:30–09:15» from the journal, else from the profile's bells."""


Bells = Mapping[int, tuple[str, str]]
"""Lesson number → (start, end), «08:30», «09:15»: the institution's bell schedule."""


def bell_span(number: int | None, starts_at: str, ends_at: str, bells: Bells) -> str:
    """The lesson's time for a deputy: the journal's own times first (it knows moved
    lessons), else the bell schedule's times for the lesson number, else nothing — a
    time we do not know is left out rather than guessed."""
    if starts_at:
        return f"{starts_at}–{ends_at}" if ends_at else starts_at
    if number is not None and number in bells:
        start, end = bells[number]
        return f"{start}–{end}" if end else start
    return ""


def profile_bells(profile_id: str | None) -> dict[int, tuple[str, str]]:
    """The profile's optional ``[bells]`` table (``1 = "08:30-09:15"``) as numbers → times.

    A profile without one, or an unreadable entry, gives no times: the lesson line then
    shows only what the journal gives."""
    if not profile_id:
        return {}
    from policies.profiles import ProfileError, raw_profile

    try:
        raw = raw_profile(profile_id).get("bells", {})
    except ProfileError:
        return {}
    return parse_bells(raw) if isinstance(raw, Mapping) else {}


def parse_bells(raw: Mapping[str, Any]) -> dict[int, tuple[str, str]]:
    """``{"1": "08:30-09:15"}`` (or ``["08:30", "09:15"]``) → ``{1: ("08:30", "09:15")}``;
    entries that are not a number and «ЧЧ:ММ» times are skipped."""
    out: dict[int, tuple[str, str]] = {}
    for key, value in raw.items():
        if not str(key).isdigit():
            continue
        if isinstance(value, str):
            pieces = [p.strip() for p in value.replace("–", "-").split("-")]
        elif isinstance(value, Sequence):
            pieces = [_clock(p) for p in value]
        else:
            continue
        if not 1 <= len(pieces) <= 2 or not all(_is_clock(p) for p in pieces):
            continue
        out[int(key)] = (pieces[0], pieces[1] if len(pieces) == 2 else "")
    return out


def _is_clock(text: str) -> bool:
    try:
        dt.time.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 5


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
    engine: Engine,
    journal: JournalData,
    violations: Iterable[Mapping[str, Any]],
    *,
    with_group: bool = False,
    bells: Bells | None = None,
) -> dict[tuple[str, str], str]:
    """``(entity_kind, entity_key)`` → «Математика, 3-й урок 12.03.2025; преподаватель …».

    ``with_group``: the line a list without a group column needs, date first —
    «12.03.2025, 3-й урок (08:30–09:15), Математика, группа 2003; преподаватель …».
    ``bells``: the bell schedule for lessons whose journal gives no time (default: the
    journal's profile's ``[bells]``)."""
    if bells is None:
        bells = profile_bells(journal.profile())
    line = lesson_line_dated if with_group else lesson_line
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
        "starts_at",
        "ends_at",
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
            starts_at=_clock(r.get("starts_at")),
            ends_at=_clock(r.get("ends_at")),
            bell=bell_span(
                r["number"], _clock(r.get("starts_at")), _clock(r.get("ends_at")), bells
            ),
        )
        for key, r in lessons.items()
    }
    out: dict[tuple[str, str], str] = {}
    for key in wanted["lesson"]:
        if key in facts:
            out[("lesson", key)] = line(facts[key])
    for kind, rows in bound.items():
        for key, r in rows.items():
            lesson = facts.get(str(r.get("lesson_id") or ""))
            student = journal.name_of(r["student_id"]) if r.get("student_id") else ""
            if lesson is None and not student:
                continue
            out[(kind, key)] = line(lesson, student)
    return out


def _clock(value: Any) -> str:
    """A stored bell time (``time`` or «08:30:00») as «08:30»; empty when there is none."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    return str(value)[:5]


def violation_lessons(engine: Engine, violations: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Violation id → its lesson line with date, number, time, subject and group.

    For lists that show violations of every journal at once (``sverka violations``): each
    journal source names its own lessons, and a violation is matched to the source of its
    deployment, so two journals' equal record ids never borrow each other's lessons."""
    out: dict[int, str] = {}
    for source in journal_sources(engine):
        mine = [
            v
            for v in violations
            if str(v.get("deployment") or "") in ("", source.deployment) and int(v["id"]) not in out
        ]
        if not mine:
            continue
        journal = load_journal(engine, source, ("institution", "person", "group"))
        lines = lesson_lines(engine, journal, mine, with_group=True)
        for v in mine:
            text = lines.get((str(v.get("entity_kind") or ""), str(v["entity_key"])))
            if text:
                out[int(v["id"])] = text
    return out


def lesson_line_dated(lesson: LessonFacts | None, student: str = "") -> str:
    """Date first, then the lesson's number and bell time, the subject and the group; then the
    teacher and the student: «12.03.2025, 3-й урок (08:30–09:15), Математика, группа 2003; …»."""
    parts = []
    if lesson is not None:
        head = [lesson.day]
        number = f"{lesson.number}-й урок" if lesson.number else "урок"
        bell = lesson.bell or lesson.starts_at
        head.append(f"{number} ({bell})" if bell else number)
        head.append(lesson.subject)
        if lesson.group:
            head.append(f"группа {lesson.group}")
        parts.append(", ".join(head))
        if lesson.teacher:
            parts.append(f"преподаватель {lesson.teacher}")
    if student:
        parts.append(f"обучающийся {student}")
    return "; ".join(parts)


def lesson_line(lesson: LessonFacts | None, student: str = "") -> str:
    """One Russian line: the subject and lesson (with its time where known), its teacher, and
    the student where there is one: «Математика, 3-й урок 12.03.2025, 10:00–10:45; …»."""
    parts = []
    if lesson is not None:
        number = f"{lesson.number}-й урок " if lesson.number else "урок "
        bell = lesson.bell or lesson.starts_at
        when = f", {bell}" if bell else ""
        parts.append(f"{lesson.subject}, {number}{lesson.day}{when}")
        if lesson.teacher:
            parts.append(f"преподаватель {lesson.teacher}")
    if student:
        parts.append(f"обучающийся {student}")
    return "; ".join(parts)
