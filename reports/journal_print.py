"""The printable journal: one class (group) laid out like the paper class journal.

For the paper archive (kpgt: by 10 July, kept five years; tpt: before every
holiday).  Like the paper book, one class is one document: a title page with
the contents (every subject, its teachers, lessons and hours, its first page),
then for each subject the pages of students × lesson dates with marks and
absences, the lesson pages (date, topic, hours, homework) and the period
marks with the teacher's signature; the deputy's and director's signatures
and the seal close the book.  Each subject is a PDF bookmark, so a deputy
jumps to «Алгебра» of 8А or prints just its pages.  One document per class
is also one WeasyPrint layout instead of one per subject (a school has
~140 class × subject pairs): the reports phase of the demo is mostly this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from reports.data import JournalData, ReportPeriod
from reports.marks import final_marks, lesson_hours, student_groups
from reports.render import render_html, write_html, write_pdf

DATES_PER_PAGE = 22


@dataclass
class GridPage:
    dates: list[str]
    rows: list[tuple[int, str, list[str]]]
    """(number, student, cell per lesson)."""


@dataclass
class LessonLine:
    number: int
    date: str
    topic: str
    hours: str
    homework: str
    teacher: str


@dataclass
class JournalPrint:
    institution: str
    group: str
    specialty: str
    subject: str
    teachers: list[str]
    curator: str
    year: str
    period: ReportPeriod
    printed_on: dt.date
    grid: list[GridPage] = field(default_factory=list)
    lessons: list[LessonLine] = field(default_factory=list)
    period_marks: list[tuple[int, str, str]] = field(default_factory=list)
    total_hours: float = 0.0

    @property
    def file_stem(self) -> str:
        return "zhurnal_" + _slug(f"{self.group}_{self.subject}")


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "h",
            "ts",
            "ch",
            "sh",
            "sch",
            "_",
            "y",
            "_",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
_TRANSLIT["ъ"] = _TRANSLIT["ь"] = ""


def _slug(text: str) -> str:
    out = "".join(_TRANSLIT.get(ch, ch) if ch.isalpha() else ch for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "_", out).strip("_") or "zhurnal"


def _cell(marks: list[str], absence: str | None) -> str:
    parts = list(marks)
    if absence:
        parts.insert(0, absence.lower() if absence in ("ОТ", "НП") else absence)
    return " ".join(parts)


def build_journal(
    data: JournalData,
    group_id: str,
    subject_id: str,
    period: ReportPeriod,
    printed_on: dt.date | None = None,
) -> JournalPrint:
    """The journal pages of one group and subject for ``period`` (pure)."""
    group = data.kind("group").get(group_id) or {"name": group_id}
    lessons = sorted(
        (
            lesson
            for lesson in data.all("lesson")
            if lesson["group_id"] == group_id
            and lesson["subject_id"] == subject_id
            and period.contains(lesson["date"])
        ),
        key=lambda r: (r["date"], r["number"] or 0),
    )
    lesson_ids = {lesson["id"] for lesson in lessons}
    members = student_groups(data)
    students = {sid for sid, gid in members.items() if gid == group_id}
    marks: dict[tuple[str, str], list[str]] = defaultdict(list)
    for m in data.all("mark"):
        if m.get("lesson_id") in lesson_ids:
            marks[(m["student_id"], m["lesson_id"])].append(str(m["value"]))
            students.add(m["student_id"])
    absences: dict[tuple[str, str], str] = {}
    for a in data.all("absence"):
        if a.get("lesson_id") in lesson_ids:
            absences[(a["student_id"], a["lesson_id"])] = str(a["code"])
    ordered = sorted(students, key=data.name_of)
    homework: dict[str, list[str]] = defaultdict(list)
    for h in data.all("homework"):
        if h["lesson_id"] in lesson_ids:
            homework[h["lesson_id"]].append(str(h["text"]))
    teachers = sorted(
        {
            data.name_of(lesson.get("teacher_id"), short=True)
            for lesson in lessons
            if lesson.get("teacher_id")
        }
        | {
            data.name_of(ta["teacher_id"], short=True)
            for ta in data.all("teaching_assignment")
            if ta["group_id"] == group_id and ta["subject_id"] == subject_id
        }
    )
    years = list(data.all("school_year"))
    result = JournalPrint(
        institution=data.institution_name(),
        group=str(group["name"]),
        specialty=str(group.get("specialty") or ""),
        subject=data.subject_name(subject_id),
        teachers=teachers,
        curator=data.name_of(group.get("curator_id"), short=True)
        if group.get("curator_id")
        else "—",
        year=str(years[0]["name"]) if years else "",
        period=period,
        printed_on=printed_on or dt.date.today(),
    )
    for start in range(0, max(len(lessons), 1), DATES_PER_PAGE):
        chunk = lessons[start : start + DATES_PER_PAGE]
        page = GridPage([f"{lesson['date']:%d.%m}" for lesson in chunk], [])
        for i, sid in enumerate(ordered, start=1):
            page.rows.append(
                (
                    i,
                    data.name_of(sid, short=True),
                    [
                        _cell(marks.get((sid, lesson["id"]), []), absences.get((sid, lesson["id"])))
                        for lesson in chunk
                    ],
                )
            )
        result.grid.append(page)
    for i, lesson in enumerate(lessons, start=1):
        hours = lesson_hours(lesson)
        result.total_hours += hours
        result.lessons.append(
            LessonLine(
                i,
                f"{lesson['date']:%d.%m.%Y}",
                str(lesson.get("topic") or "— тема не записана —"),
                f"{hours:g}",
                "; ".join(homework.get(lesson["id"], [])) or "—",
                data.name_of(lesson.get("teacher_id"), short=True)
                if lesson.get("teacher_id")
                else "—",
            )
        )
    finals = final_marks(data, period)
    for i, sid in enumerate(ordered, start=1):
        g = finals.get((sid, subject_id))
        text = "зч" if g == "pass" else "н/а" if g == "fail" else str(g) if g is not None else ""
        result.period_marks.append((i, data.name_of(sid), text))
    return result


@dataclass
class ClassJournal:
    """One class's journal book: the class's title page, then each subject's pages."""

    institution: str
    group: str
    specialty: str
    curator: str
    year: str
    period: ReportPeriod
    printed_on: dt.date
    subjects: list[JournalPrint]
    file_stem: str


def class_journal(subjects: list[JournalPrint], file_stem: str | None = None) -> ClassJournal:
    """The book of ``subjects`` (all of one class); named after the class unless told.

    A book of one subject (``sverka report journal --subject``) keeps that
    subject's name, so a single printed journal is still found by both names.
    """
    if not subjects:
        raise ValueError("a class journal needs at least one subject")
    first = subjects[0]
    if file_stem is None:
        file_stem = first.file_stem if len(subjects) == 1 else "zhurnal_" + _slug(first.group)
    return ClassJournal(
        institution=first.institution,
        group=first.group,
        specialty=first.specialty,
        curator=first.curator,
        year=first.year,
        period=first.period,
        printed_on=first.printed_on,
        subjects=subjects,
        file_stem=file_stem,
    )


def class_journals(
    data: JournalData,
    period: ReportPeriod,
    printed_on: dt.date | None = None,
    pairs: list[tuple[str, str]] | None = None,
) -> list[ClassJournal]:
    """Every class's book for ``period``: its subjects in ``journal_pairs`` order (pure)."""
    by_group: dict[str, list[JournalPrint]] = {}
    for group_id, subject_id in journal_pairs(data, period) if pairs is None else pairs:
        by_group.setdefault(group_id, []).append(
            build_journal(data, group_id, subject_id, period, printed_on=printed_on)
        )
    return [class_journal(parts, "zhurnal_" + _slug(parts[0].group)) for parts in by_group.values()]


def journal_html(journal: JournalPrint | ClassJournal) -> str:
    book = journal if isinstance(journal, ClassJournal) else class_journal([journal])
    return render_html("journal.html.j2", {"b": book})


def write_journal(
    journal: JournalPrint | ClassJournal, out_dir: Path, formats: tuple[str, ...] = ("pdf",)
) -> dict[str, Path]:
    book = journal if isinstance(journal, ClassJournal) else class_journal([journal])
    html = journal_html(book)
    paths: dict[str, Path] = {}
    if "html" in formats:
        paths["html"] = write_html(html, out_dir / f"{book.file_stem}.html")
    if "pdf" in formats:
        paths["pdf"] = write_pdf(html, out_dir / f"{book.file_stem}.pdf")
    return paths


def journal_pairs(data: JournalData, period: ReportPeriod) -> list[tuple[str, str]]:
    """Every group × subject that has a teaching assignment or a lesson in the period."""
    pairs = {(ta["group_id"], ta["subject_id"]) for ta in data.all("teaching_assignment")}
    pairs |= {
        (lesson["group_id"], lesson["subject_id"])
        for lesson in data.all("lesson")
        if period.contains(lesson["date"])
    }
    return sorted(pairs, key=lambda p: (data.group_name(p[0]), data.subject_name(p[1])))
