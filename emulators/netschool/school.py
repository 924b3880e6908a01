"""The institution as NetSchool holds it: a scenario state re-cut into NetSchool's shapes.

NetSchool's journal is organised by *subject groups* (class × subject, or a
subgroup of a class for one subject), *class meetings* (lessons) and
*assignments* (homework and graded work alike, told apart by type) with
per-student *results*; attendance hangs off the class meeting.  This module
builds that structure once per moment of the emulator's clock, with integer
ids (:mod:`emulators.netschool.ids`), so the HTTP handlers only look things up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from emulators.netschool.ids import ns_id
from emulators.scenario.world import World, WorldState

HOMEWORK_TYPE_NAME = "Домашнее задание"
UNTYPED_TYPE_NAME = "Не указан"

ROLE_NAMES = {
    "student": "Ученик",
    "parent": "Родитель",
    "teacher": "Учитель",
    "class_teacher": "Классный руководитель",
    "deputy": "Завуч",
    "administrator": "Администратор",
    "secretary": "Секретарь",
    "head_of_department": "Руководитель МО",
    "director": "Директор",
}
STAFF_ROLES = frozenset(ROLE_NAMES) - {"student", "parent"}

TERM_TYPES = {"quarter": 1, "half_year": 2, "trimester": 3, "semester": 4, "year": 5}


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def as_moment(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def short_name(person: dict[str, Any]) -> str:
    """«Иванова М. И.»: how NetSchool names teachers in lists."""
    initials = " ".join(
        f"{p[0]}." for p in (person.get("first_name"), person.get("middle_name")) if p
    )
    return f"{person.get('last_name', '')} {initials}".strip()


def full_name(person: dict[str, Any]) -> str:
    parts = (person.get("last_name"), person.get("first_name"), person.get("middle_name"))
    return " ".join(p for p in parts if p)


@dataclass
class SubjectGroup:
    id: int
    class_id: int
    subject_id: int
    name: str
    subgroup_name: str | None
    teacher_ids: list[int] = field(default_factory=list)
    student_ids: list[int] | None = None
    """Members for a subgroup; ``None`` means the whole class."""


@dataclass
class Assignment:
    id: int
    class_meeting_id: int
    type_id: int
    name: str
    weight: float | None
    due_date: dt.date
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    """student id → {mark, comment, resultDate (local naive), duty}."""
    is_homework: bool = False


@dataclass
class ClassMeeting:
    id: int
    sg_id: int
    class_id: int
    subject_id: int
    date: dt.date
    number: int | None
    start: dt.time | None
    end: dt.time | None
    room: str | None
    topic: str | None
    hours: float | None
    teacher_ids: list[int]
    assignments: list[Assignment] = field(default_factory=list)
    attendance: dict[int, str] = field(default_factory=dict)
    """student id → absence code («Б», «УП», …)."""


@dataclass
class Account:
    login: str
    password: str
    person_id: int
    roles: list[str]


@dataclass
class School:
    """Everything the handlers serve, as of one moment."""

    moment: dt.datetime
    tz: ZoneInfo
    id: int
    name: str
    short_name: str
    year: dict[str, Any] | None
    terms: list[dict[str, Any]]
    vacations: list[dict[str, Any]]
    people: dict[int, dict[str, Any]]
    roles: dict[int, set[str]]
    classes: dict[int, dict[str, Any]]
    class_students: dict[int, list[tuple[int, bool]]]
    """class id → (student id, free = no longer in the class)."""
    subjects: dict[int, dict[str, Any]]
    types: dict[int, dict[str, Any]]
    homework_type: int
    sgs: dict[int, SubjectGroup]
    meetings: dict[int, ClassMeeting]
    meetings_by_sg: dict[int, list[ClassMeeting]]
    assignments: dict[int, Assignment]
    totals: dict[int, list[dict[str, Any]]]
    """Subject group → period (term) marks: {studentId, termId, mark, resultDate}."""
    children: dict[int, list[int]]
    student_class: dict[int, int]
    accounts: dict[str, Account]
    parents: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    """Student → (parent id, relation) as the student's card lists them."""

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A moment as NetSchool prints it: local wall time, no offset, whole seconds."""
        return moment.astimezone(self.tz).replace(tzinfo=None, microsecond=0)

    def sgs_of_class(self, class_id: int) -> list[SubjectGroup]:
        return sorted(
            (sg for sg in self.sgs.values() if sg.class_id == class_id), key=lambda s: s.name
        )

    def sgs_of_student(self, student_id: int) -> list[SubjectGroup]:
        class_id = self.student_class.get(student_id)
        return [
            sg
            for sg in self.sgs.values()
            if sg.class_id == class_id and (sg.student_ids is None or student_id in sg.student_ids)
        ]


def build_school(world: World, moment: dt.datetime) -> School:
    """Re-cut the world's NetSchool view at ``moment`` into NetSchool's structure."""
    state = world.state_as_of(moment, platform="netschool")
    tz = ZoneInfo(world.timezone)
    return _Builder(world, state, tz).build()


class _Builder:
    def __init__(self, world: World, state: WorldState, tz: ZoneInfo) -> None:
        self.world = world
        self.state = state
        self.tz = tz

    def build(self) -> School:
        st = self.state
        today = st.moment.astimezone(self.tz).date()
        institutions = sorted(st.kind("institution").items())
        inst_sid, inst = institutions[0] if institutions else ("school", {"name": "Школа"})
        year_sid, year = self._current_year(today)
        year_out = None
        if year is not None:
            year_out = {
                "id": ns_id("school_year", year_sid),
                "name": year["name"],
                "startDate": as_date(year["starts_on"]),
                "endDate": as_date(year["ends_on"]),
            }
        terms = [
            {
                "id": ns_id("period", sid),
                "termName": row["name"],
                "termTypeId": TERM_TYPES.get(str(row.get("period_kind")), 1),
                "startDate": as_date(row["starts_on"]),
                "endDate": as_date(row["ends_on"]),
                "schoolYearId": ns_id("school_year", str(row["year_id"])),
            }
            for sid, row in sorted(st.kind("period").items(), key=lambda i: str(i[1]["starts_on"]))
            if year is None or row.get("year_id") == year_sid
        ]
        vacations = [
            {
                "id": ns_id("holiday", sid),
                "name": row["name"],
                "startTime": as_date(row["starts_on"]),
                "endTime": as_date(row["ends_on"]),
            }
            for sid, row in sorted(st.kind("holiday").items(), key=lambda i: str(i[1]["starts_on"]))
            if year is None or row.get("year_id") == year_sid
        ]
        people = {ns_id("person", sid): row for sid, row in st.kind("person").items()}
        roles = {
            ns_id("person", sid): set(row.get("roles") or ())
            for sid, row in st.kind("person").items()
        }

        classes: dict[int, dict[str, Any]] = {}
        for sid, row in st.kind("group").items():
            if year is not None and row.get("year_id") not in (None, year_sid):
                continue
            curator = row.get("curator_id")
            classes[ns_id("group", sid)] = {
                "sid": sid,
                "name": row["name"],
                "grade": row.get("grade"),
                "chiefs": [ns_id("person", str(curator))] if curator else [],
            }
        class_students, student_class = self._class_students(today)
        subjects = {
            ns_id("subject", sid): {"name": row["name"], "shortName": row.get("short_name") or ""}
            for sid, row in st.kind("subject").items()
        }
        types, homework_type, untyped = self._types()
        sgs = self._subject_groups(classes)
        meetings, meetings_by_sg, assignments = self._meetings(sgs, types, homework_type, untyped)
        totals = self._totals(sgs)
        children: dict[int, list[int]] = defaultdict(list)
        parents: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for _, row in sorted(st.kind("parent_link").items()):
            parent, child = (
                ns_id("person", str(row["parent_id"])),
                ns_id("person", str(row["child_id"])),
            )
            children[parent].append(child)
            parents[child].append((parent, str(row.get("relation") or "parent")))
        accounts: dict[str, Account] = {}
        for acc in self.world.accounts:
            if acc.get("platform", "netschool") != "netschool" or "login" not in acc:
                continue
            pid = ns_id("person", str(acc["person_id"]))
            account_roles = [acc["role"]] if acc.get("role") else sorted(roles.get(pid, ()))
            accounts[str(acc["login"]).lower()] = Account(
                str(acc["login"]), str(acc["password"]), pid, account_roles
            )
        return School(
            moment=st.moment,
            tz=self.tz,
            id=school_id(self.world, inst_sid),
            name=str(inst.get("name", "")),
            short_name=str(inst.get("short_name") or inst.get("name", "")),
            year=year_out,
            terms=terms,
            vacations=vacations,
            people=people,
            roles=roles,
            classes=classes,
            class_students=class_students,
            subjects=subjects,
            types=types,
            homework_type=homework_type,
            sgs=sgs,
            meetings=meetings,
            meetings_by_sg=meetings_by_sg,
            assignments=assignments,
            totals=totals,
            children=dict(children),
            student_class=student_class,
            accounts=accounts,
            parents=dict(parents),
        )

    def _current_year(self, today: dt.date) -> tuple[str, dict[str, Any] | None]:
        years = sorted(self.state.kind("school_year").items(), key=lambda i: str(i[1]["starts_on"]))
        if not years:
            return "", None
        for sid, row in years:
            if as_date(row["starts_on"]) <= today <= as_date(row["ends_on"]):
                return sid, row
        started = [(sid, row) for sid, row in years if as_date(row["starts_on"]) <= today]
        return started[-1] if started else years[0]

    def _class_students(
        self, today: dt.date
    ) -> tuple[dict[int, list[tuple[int, bool]]], dict[int, int]]:
        by_class: dict[int, dict[int, bool]] = defaultdict(dict)
        student_class: dict[int, int] = {}
        for row in sorted(self.state.kind("enrolment").values(), key=lambda r: str(r["starts_on"])):
            class_id = ns_id("group", str(row["group_id"]))
            student = ns_id("person", str(row["student_id"]))
            ended = row.get("ends_on") is not None and as_date(row["ends_on"]) < today
            free = ended or row.get("status") not in (None, "studying")
            by_class[class_id][student] = free and by_class[class_id].get(student, True)
            if not free:
                student_class[student] = class_id
        return {c: sorted(s.items()) for c, s in by_class.items()}, student_class

    def _types(self) -> tuple[dict[int, dict[str, Any]], int, int]:
        types: dict[int, dict[str, Any]] = {}
        homework = untyped = 0
        for order, (sid, row) in enumerate(sorted(self.state.kind("work_kind").items()), start=1):
            tid = ns_id("work_kind", sid)
            types[tid] = {
                "id": tid,
                "name": row["name"],
                "abbr": row.get("short_name") or "",
                "order": order,
            }
            if str(row["name"]).strip().lower() == HOMEWORK_TYPE_NAME.lower():
                homework = tid
        if not homework:
            homework = 3
            types[homework] = {"id": 3, "name": HOMEWORK_TYPE_NAME, "abbr": "ДЗ", "order": 0}
        untyped = ns_id("work_kind", "__untyped__")
        if any(
            row.get("lesson_id") and not row.get("work_kind_id")
            for row in self.state.kind("mark").values()
        ):
            # NetSchool has no untyped assignment; a scenario mark without a kind gets this one.
            types[untyped] = {"id": untyped, "name": UNTYPED_TYPE_NAME, "abbr": "", "order": 999}
        return types, homework, untyped

    def _subject_groups(self, classes: dict[int, dict[str, Any]]) -> dict[int, SubjectGroup]:
        st = self.state
        sgs: dict[int, SubjectGroup] = {}
        subgroups = st.kind("subgroup")
        members: dict[str, list[int]] = defaultdict(list)
        for row in st.kind("subgroup_member").values():
            members[str(row["subgroup_id"])].append(ns_id("person", str(row["student_id"])))

        def ensure(
            group_sid: str, subject_sid: str, subgroup_sid: str | None
        ) -> SubjectGroup | None:
            class_id = ns_id("group", group_sid)
            if class_id not in classes:
                return None
            sg_id = sg_key(group_sid, subject_sid, subgroup_sid)
            sg = sgs.get(sg_id)
            if sg is None:
                subject = st.get("subject", subject_sid) or {"name": "?"}
                subgroup_name = None
                name = f"{classes[class_id]['name']}/{subject['name']}"
                student_ids = None
                if subgroup_sid:
                    subgroup_name = str((subgroups.get(subgroup_sid) or {}).get("name", ""))
                    name = f"{name}/{subgroup_name}"
                    student_ids = sorted(members.get(subgroup_sid, []))
                sg = SubjectGroup(
                    sg_id,
                    class_id,
                    ns_id("subject", subject_sid),
                    name,
                    subgroup_name,
                    student_ids=student_ids,
                )
                sgs[sg_id] = sg
            return sg

        for row in st.kind("teaching_assignment").values():
            sub = row.get("subgroup_id")
            sg = ensure(str(row["group_id"]), str(row["subject_id"]), str(sub) if sub else None)
            if sg is not None:
                teacher = ns_id("person", str(row["teacher_id"]))
                if teacher not in sg.teacher_ids:
                    sg.teacher_ids.append(teacher)
        for row in st.kind("subgroup").values():
            if row.get("subject_id"):
                ensure(str(row["group_id"]), str(row["subject_id"]), _sid_of(subgroups, row))
        for row in st.kind("lesson").values():
            sub = row.get("subgroup_id")
            ensure(str(row["group_id"]), str(row["subject_id"]), str(sub) if sub else None)
        return sgs

    def _meetings(
        self,
        sgs: dict[int, SubjectGroup],
        types: dict[int, dict[str, Any]],
        homework_type: int,
        untyped: int,
    ) -> tuple[dict[int, ClassMeeting], dict[int, list[ClassMeeting]], dict[int, Assignment]]:
        st = self.state
        meetings: dict[int, ClassMeeting] = {}
        by_sg: dict[int, list[ClassMeeting]] = defaultdict(list)
        lesson_ids: dict[str, int] = {}
        for sid, row in st.kind("lesson").items():
            sub = row.get("subgroup_id")
            sg_id = sg_key(str(row["group_id"]), str(row["subject_id"]), str(sub) if sub else None)
            sg = sgs.get(sg_id)
            if sg is None:
                continue
            teacher = row.get("teacher_id")
            cm = ClassMeeting(
                id=ns_id("lesson", sid),
                sg_id=sg_id,
                class_id=sg.class_id,
                subject_id=sg.subject_id,
                date=as_date(row["date"]),
                number=row.get("number"),
                start=_time(row.get("starts_at")),
                end=_time(row.get("ends_at")),
                room=row.get("room"),
                topic=row.get("topic"),
                hours=row.get("hours"),
                teacher_ids=[ns_id("person", str(teacher))] if teacher else list(sg.teacher_ids),
            )
            meetings[cm.id] = cm
            by_sg[sg_id].append(cm)
            lesson_ids[sid] = cm.id
        for items in by_sg.values():
            items.sort(key=lambda m: (m.date, m.number or 0, m.id))

        assignments: dict[int, Assignment] = {}
        # A mark sits on the lesson's homework assignment only if that assignment existed
        # when the mark was entered: the platform never moves a mark between assignments,
        # so its id stays the same from one look to the next.
        homework_created: dict[int, dt.datetime | None] = {}
        for sid, row in sorted(st.kind("homework").items()):
            cm_id = lesson_ids.get(str(row["lesson_id"]))
            if cm_id is None:
                continue
            cm = meetings[cm_id]
            homework = Assignment(
                id=ns_id("homework", sid),
                class_meeting_id=cm_id,
                type_id=homework_type,
                name=str(row["text"]),
                weight=None,
                due_date=as_date(row["due_date"]) if row.get("due_date") else cm.date,
                is_homework=True,
            )
            assignments[homework.id] = homework
            cm.assignments.append(homework)
            homework_created[homework.id] = as_moment(row.get("created_at"))
        work_weights = {
            ns_id("work_kind", sid): row.get("weight") for sid, row in st.kind("work_kind").items()
        }
        marks = sorted(st.kind("mark").items(), key=lambda i: (str(i[1].get("created_at")), i[0]))
        for sid, row in marks:
            cm_id = lesson_ids.get(str(row.get("lesson_id")))
            if cm_id is None:
                continue  # final marks are not part of the lesson journal surface
            cm = meetings[cm_id]
            wk = row.get("work_kind_id")
            type_id = ns_id("work_kind", str(wk)) if wk else untyped
            weight = row.get("weight")
            if weight is None:
                weight = work_weights.get(type_id)
            student = ns_id("person", str(row["student_id"]))
            task = row.get("task_id")
            a = None
            if type_id == homework_type and not task:
                # A mark for homework goes on the lesson's homework assignment, as on the platform.
                a = next(
                    (
                        h
                        for h in cm.assignments
                        if h.is_homework
                        and student not in h.results
                        and h.weight in (None, weight)
                        and _existed_before(homework_created.get(h.id), row)
                    ),
                    None,
                )
                if a is not None:
                    a.weight = weight
            if a is None:
                key = f"task:{task}" if task else f"{row['lesson_id']}/{wk}"
                a_id = ns_id("assignment", key)
                found = assignments.get(a_id)
                if found is not None and (student in found.results or found.weight != weight):
                    a_id = ns_id("assignment", f"{key}/{sid}")
                    found = assignments.get(a_id)
                if found is not None:
                    a = found
                else:
                    # Without homework to hang it on, a homework mark sits on an untitled
                    # assignment of the homework type (no text, so it is no homework).
                    untitled = type_id == homework_type
                    a = Assignment(
                        id=a_id,
                        class_meeting_id=cm_id,
                        type_id=type_id,
                        name="" if untitled else str(types.get(type_id, {}).get("name", "")),
                        weight=weight,
                        due_date=cm.date,
                    )
                    assignments[a_id] = a
                    cm.assignments.append(a)
            entered = as_moment(row.get("entered_at")) or as_moment(row.get("created_at"))
            a.results[student] = {
                "mark": row["value"],
                "comment": row.get("comment"),
                "resultDate": entered.astimezone(self.tz).replace(tzinfo=None, microsecond=0)
                if entered
                else None,
                "duty": False,
            }
        for row in st.kind("absence").values():
            cm_id = lesson_ids.get(str(row.get("lesson_id")))
            if cm_id is None:
                continue
            meetings[cm_id].attendance[ns_id("person", str(row["student_id"]))] = str(row["code"])
        return meetings, dict(by_sg), assignments

    def _totals(self, sgs: dict[int, SubjectGroup]) -> dict[int, list[dict[str, Any]]]:
        """Period marks (no lesson) on the subject group the student is in for that subject."""
        totals: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in self.state.kind("mark").values():
            if row.get("lesson_id") or not row.get("period_id"):
                continue
            student = ns_id("person", str(row["student_id"]))
            class_id = ns_id("group", str(row.get("group_id")))
            subject = ns_id("subject", str(row["subject_id"]))
            candidates = [
                sg
                for sg in sgs.values()
                if sg.class_id == class_id
                and sg.subject_id == subject
                and (sg.student_ids is None or student in sg.student_ids)
            ]
            if not candidates:
                continue
            sg = min(candidates, key=lambda g: (g.student_ids is not None, g.id))
            entered = as_moment(row.get("entered_at")) or as_moment(row.get("created_at"))
            totals[sg.id].append(
                {
                    "studentId": student,
                    "termId": ns_id("period", str(row["period_id"])),
                    "mark": str(row["value"]),
                    "resultDate": entered.astimezone(self.tz).replace(tzinfo=None, microsecond=0)
                    if entered
                    else None,
                }
            )
        return dict(totals)


def school_id(world: World, institution_sid: str) -> int:
    """The school's login id (``scid``): the generator's ``platform.school_id`` when it sets one."""
    platform = world.meta.get("platform")
    if isinstance(platform, dict) and platform.get("school_id") is not None:
        return int(platform["school_id"])
    return ns_id("institution", institution_sid)


def sg_key(group_sid: str, subject_sid: str, subgroup_sid: str | None) -> int:
    """The subject-group id: the subgroup's own id, else class × subject."""
    if subgroup_sid:
        return ns_id("subgroup", subgroup_sid)
    return ns_id("subject_group", f"{group_sid}/{subject_sid}")


def _sid_of(table: dict[str, dict[str, Any]], row: dict[str, Any]) -> str:
    return str(row["id"])


def _time(value: Any) -> dt.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


def _existed_before(created: dt.datetime | None, mark: Mapping[str, Any]) -> bool:
    """Whether an assignment created at ``created`` was there when ``mark`` was entered."""
    entered = as_moment(mark.get("created_at"))
    return created is None or entered is None or created <= entered
