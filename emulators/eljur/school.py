"""The school as ЭлЖур holds it: a scenario state re-cut into ЭлЖур's shapes, once per moment.

ЭлЖур names classes and subjects by their titles and gives numeric ids
(strings on the wire) to people, lessons and homework; teachers appear on a
lesson only as a display string.  Marks carry their lesson's date and id
and nothing about when they were entered (eljur.md §6).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from emulators.eljur.ids import absence_value, ej_id, period_short_name
from emulators.scenario.world import World

EXTENDED_ROLES = frozenset({"deputy", "administrator", "director"})
"""Accounts given the school-level "extended access" of our design (eljur-emulated.md)."""
TEACHER_ROLES = frozenset({"teacher", "class_teacher", "secretary", "head_of_department"})


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def as_time(value: Any) -> dt.time | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def teacher_label(person: dict[str, Any] | None) -> str:
    """«Петрова А. А.»: how ЭлЖур names the teacher of a lesson."""
    if not person:
        return ""
    initials = " ".join(
        f"{p[0]}." for p in (person.get("first_name"), person.get("middle_name")) if p
    )
    return f"{person.get('last_name', '')} {initials}".strip()


@dataclass
class EjLesson:
    id: int
    class_name: str
    subject: str
    date: dt.date
    number: int
    start: dt.time | None
    end: dt.time | None
    room: str
    teacher: str
    topic: str | None
    is_control: bool
    homework: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class EjMark:
    lesson_id: int
    value: str
    weight: float
    kind: str
    kind_short: str
    kind_id: int
    comment: str
    nm: int


@dataclass
class EjFinal:
    subject: str
    period: str
    value: str


@dataclass
class EjStudent:
    id: int
    last_name: str
    first_name: str
    middle_name: str
    gender: str
    class_name: str
    parallel: int

    @property
    def title(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()


@dataclass
class EjAccount:
    login: str
    password: str
    person_id: int
    role: str
    """``extended`` (our design), ``student``, ``parent`` or ``teacher``."""
    students: list[int]
    groups: list[str]
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""


@dataclass
class EjSchool:
    moment: dt.datetime
    tz: ZoneInfo
    vendor: str
    title: str
    title_full: str
    city: str
    region: str
    periods: list[dict[str, Any]]
    classes: dict[str, dict[str, Any]]
    students: dict[int, EjStudent]
    lessons: dict[int, EjLesson]
    lessons_by_class: dict[str, list[EjLesson]]
    marks: dict[int, dict[int, list[EjMark]]]
    """student → lesson → marks (absences included as «н»/«оп» marks)."""
    finals: dict[int, list[EjFinal]]
    accounts: dict[str, EjAccount]
    attended: dict[int, list[tuple[str, dt.date, dt.date | None]]]
    """student → (class, from, until) of every enrolment: whose diary shows which lessons."""

    def student_lessons(self, student: int, first: dt.date, last: dt.date) -> list[EjLesson]:
        """The lessons of the classes the student was in on each day, plus any lesson they hold a mark on."""
        out: dict[int, EjLesson] = {}
        for class_name, start, end in self.attended.get(student, []):
            for lesson in self.lessons_by_class.get(class_name, []):
                if (
                    first <= lesson.date <= last
                    and start <= lesson.date
                    and (end is None or lesson.date <= end)
                ):
                    out[lesson.id] = lesson
        for lesson_id in self.marks.get(student, {}):
            marked = self.lessons.get(lesson_id)
            if marked is not None and first <= marked.date <= last:
                out[marked.id] = marked
        return sorted(out.values(), key=lambda x: (x.date, x.number, x.id))


def vendor_of(world: World) -> str:
    """The school's vendor: the first label of its deployment host (``mazanka.eljur.ru`` → ``mazanka``)."""
    platform = world.meta.get("platform")
    host = str(platform.get("deployment", "")) if isinstance(platform, dict) else ""
    return host.split(".")[0] if host else "school"


def build_school(world: World, moment: dt.datetime) -> EjSchool:
    """Re-cut the world's ЭлЖур view at ``moment``."""
    st = world.state_as_of(moment, platform="eljur")
    tz = ZoneInfo(world.timezone)
    people = st.kind("person")
    inst = next(iter(sorted(st.kind("institution").items())), ("", {}))[1]
    periods = []
    for sid, row in sorted(
        st.kind("period").items(),
        key=lambda i: (str(i[1]["period_kind"]) == "year", str(i[1]["starts_on"])),
    ):
        periods.append(
            {
                "sid": sid,
                "name": period_short_name(str(row["period_kind"]), int(row["number"])),
                "fullname": str(row["name"]),
                "start": as_date(row["starts_on"]),
                "end": as_date(row["ends_on"]),
            }
        )
    period_names = {str(p["sid"]): str(p["name"]) for p in periods}
    classes: dict[str, dict[str, Any]] = {}
    group_names: dict[str, str] = {}
    for sid, row in sorted(st.kind("group").items()):
        name = str(row["name"])
        group_names[sid] = name
        curator = row.get("curator_id")
        classes[name] = {
            "parallel": int(row.get("grade") or 0),
            "hometeacher": ej_id("person", str(curator)) if curator else None,
            "hometeacher_person": people.get(str(curator)) if curator else None,
        }
    students: dict[int, EjStudent] = {}
    attended: dict[int, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    for row in sorted(st.kind("enrolment").values(), key=lambda r: str(r["starts_on"])):
        class_name = group_names.get(str(row["group_id"]))
        if class_name is None:
            continue
        pid = ej_id("person", str(row["student_id"]))
        ends = as_date(row["ends_on"]) if row.get("ends_on") else None
        attended[pid].append((class_name, as_date(row["starts_on"]), ends))
        # Students who left stay listed with their last class, as the class journal keeps
        # them (our design, eljur-emulated.md): their marks stay readable.
        person = people.get(str(row["student_id"]))
        if person is not None:
            students[pid] = EjStudent(
                pid,
                str(person.get("last_name") or ""),
                str(person.get("first_name") or ""),
                str(person.get("middle_name") or ""),
                "female" if person.get("sex") == "female" else "male",
                class_name,
                classes[class_name]["parallel"],
            )
    subjects = {sid: str(row["name"]) for sid, row in st.kind("subject").items()}
    items = st.kind("plan_item")
    lessons: dict[int, EjLesson] = {}
    by_sid: dict[str, EjLesson] = {}
    by_class: dict[str, list[EjLesson]] = defaultdict(list)
    for sid, row in st.kind("lesson").items():
        class_name = group_names.get(str(row["group_id"]))
        if class_name is None:
            continue
        item = items.get(str(row.get("plan_item_id") or ""))
        kind = (item or {}).get("work_kind") or row.get("lesson_type")
        teacher = row.get("teacher_id")
        lesson = EjLesson(
            id=ej_id("lesson", sid),
            class_name=class_name,
            subject=subjects.get(str(row["subject_id"]), "?"),
            date=as_date(row["date"]),
            number=int(row.get("number") or 0),
            start=as_time(row.get("starts_at")),
            end=as_time(row.get("ends_at")),
            room=str(row.get("room") or ""),
            teacher=teacher_label(people.get(str(teacher))) if teacher else "",
            topic=row.get("topic") or None,
            is_control=kind == "control",
        )
        lessons[lesson.id] = lesson
        by_sid[sid] = lesson
        by_class[class_name].append(lesson)
    for class_lessons in by_class.values():
        class_lessons.sort(key=lambda x: (x.date, x.number, x.id))
    for sid, row in sorted(
        st.kind("homework").items(), key=lambda i: (str(i[1]["created_at"]), i[0])
    ):
        given = by_sid.get(str(row["lesson_id"]))
        if given is not None:
            given.homework.append((ej_id("homework", sid), str(row["text"])))
    kinds = st.kind("work_kind")
    marks: dict[int, dict[int, list[EjMark]]] = defaultdict(lambda: defaultdict(list))
    finals: dict[int, list[EjFinal]] = defaultdict(list)
    ordered = sorted(st.kind("mark").items(), key=lambda i: (str(i[1]["created_at"]), i[0]))
    for _sid, row in ordered:
        pid = ej_id("person", str(row["student_id"]))
        if not row.get("lesson_id"):
            period = period_names.get(str(row.get("period_id") or ""))
            if period is not None:
                finals[pid].append(
                    EjFinal(subjects.get(str(row["subject_id"]), "?"), period, str(row["value"]))
                )
            continue
        marked = by_sid.get(str(row["lesson_id"]))
        if marked is None:
            continue
        kind_sid = str(row.get("work_kind_id") or "")
        kind = kinds.get(kind_sid) or {}
        weight = row.get("weight")
        if weight is None:
            weight = kind.get("weight") or 1.0
        own = marks[pid][marked.id]
        own.append(
            EjMark(
                lesson_id=marked.id,
                value=str(row["value"]),
                weight=float(weight),
                kind=str(kind.get("name") or ""),
                kind_short=str(kind.get("short_name") or ""),
                kind_id=ej_id("work_kind", kind_sid) if kind_sid else 0,
                comment=str(row.get("comment") or ""),
                nm=len(own) + 1,
            )
        )
    for row in sorted(st.kind("absence").values(), key=lambda r: str(r["created_at"])):
        missed = by_sid.get(str(row.get("lesson_id") or ""))
        if missed is None:
            continue
        pid = ej_id("person", str(row["student_id"]))
        own = marks[pid][missed.id]
        own.append(
            EjMark(missed.id, absence_value(str(row["code"])), 0.0, "", "", 0, "", len(own) + 1)
        )
    accounts = _accounts(world, st.kind("parent_link"), people, students, classes)
    return EjSchool(
        moment=moment,
        tz=tz,
        vendor=vendor_of(world),
        title=str(inst.get("short_name") or inst.get("name") or ""),
        title_full=str(inst.get("name") or ""),
        city=str((world.meta.get("institution") or {}).get("locality") or ""),
        region=str(inst.get("region") or ""),
        periods=periods,
        classes=classes,
        students=students,
        lessons=lessons,
        lessons_by_class=dict(by_class),
        marks={k: dict(v) for k, v in marks.items()},
        finals=dict(finals),
        accounts=accounts,
        attended=dict(attended),
    )


def _accounts(
    world: World,
    links: dict[str, dict[str, Any]],
    people: dict[str, dict[str, Any]],
    students: dict[int, EjStudent],
    classes: dict[str, dict[str, Any]],
) -> dict[str, EjAccount]:
    children: dict[int, list[int]] = defaultdict(list)
    for row in links.values():
        children[ej_id("person", str(row["parent_id"]))].append(
            ej_id("person", str(row["child_id"]))
        )
    out: dict[str, EjAccount] = {}
    for acc in world.accounts:
        if acc.get("platform", "eljur") != "eljur" or "login" not in acc:
            continue
        pid = ej_id("person", str(acc["person_id"]))
        role = str(acc.get("role") or "")
        person = people.get(str(acc["person_id"])) or {}
        if role in EXTENDED_ROLES:
            kind, own, groups = "extended", sorted(students), sorted(classes)
        elif role == "student":
            kind, own, groups = "student", [pid], []
        elif role == "parent":
            kind, own, groups = "parent", sorted(children.get(pid, [])), []
        else:
            kind, own = "teacher", []
            groups = sorted(n for n, c in classes.items() if c["hometeacher"] == pid)
        out[str(acc["login"]).lower()] = EjAccount(
            str(acc["login"]),
            str(acc["password"]),
            pid,
            kind,
            [s for s in own if s in students],
            groups,
            str(person.get("first_name") or ""),
            str(person.get("middle_name") or ""),
            str(person.get("last_name") or ""),
        )
    return out
