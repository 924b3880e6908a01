"""How teaching is organised: the institution and its calendar, groups, subjects,
teaching assignments, the timetable and the КТП."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from emulators.scenario.context import Assignment, Context, GroupInfo
from emulators.scenario.curriculum import (
    COMMON_DISCIPLINES,
    FOREIGN_LANGUAGE_SUBJECTS,
    SCHOOL_SUBJECTS,
    SPECIALTIES,
    WORK_KINDS,
    topics_for,
)


def add_institution(ctx: Context) -> None:
    p = ctx.profile
    created = ctx.stamp(dt.date(ctx.year, 8, 1), 9 * 3600)
    ctx.b.table(
        "institution",
        ["profile_id", "name", "short_name", "institution_kind", "timezone", "week_days", "region"],
    ).add(
        ctx.institution_id,
        created,
        profile_id=p.id,
        name=p.name,
        short_name=p.short_name,
        institution_kind=p.kind,
        timezone=p.timezone,
        week_days=p.week_days,
        region=p.region,
    )
    ctx.b.table("school_year", ["name", "starts_on", "ends_on"]).add(
        ctx.year_id,
        created,
        name=f"{ctx.year}/{ctx.year + 1}",
        starts_on=ctx.year_start.isoformat(),
        ends_on=ctx.year_end.isoformat(),
    )
    periods = ctx.b.table(
        "period", ["year_id", "period_kind", "number", "name", "starts_on", "ends_on"]
    )
    for span in ctx.period_spans:
        pid = ctx.b.next_id("per")
        periods.add(
            pid,
            created,
            year_id=ctx.year_id,
            period_kind=p.period_kind,
            number=span.number,
            name=span.name,
            starts_on=span.starts_on.isoformat(),
            ends_on=span.ends_on.isoformat(),
        )
        ctx.period_ids.append((pid, span))
    ctx.year_period_id = ctx.b.next_id("per")
    periods.add(
        ctx.year_period_id,
        created,
        year_id=ctx.year_id,
        period_kind="year",
        number=1,
        name="Год",
        starts_on=ctx.year_start.isoformat(),
        ends_on=ctx.year_end.isoformat(),
    )
    holidays = ctx.b.table("holiday", ["year_id", "name", "starts_on", "ends_on"])
    for vac in ctx.vacations:
        holidays.add(
            ctx.b.next_id("hol"),
            created,
            year_id=ctx.year_id,
            name=vac.name,
            starts_on=vac.starts_on.isoformat(),
            ends_on=vac.ends_on.isoformat(),
        )
    kinds = ctx.b.table("work_kind", ["name", "short_name", "weight", "is_control", "is_external"])
    for wid, name, short, weight, control, external in WORK_KINDS:
        if external and p.id != "mazanka":
            continue
        kinds.add(
            wid,
            created,
            name=name,
            short_name=short,
            weight=weight,
            is_control=control,
            is_external=external,
        )


def group_shells(ctx: Context) -> list[tuple[GroupInfo, list[tuple[str, str | None, int]]]]:
    """Group shells and, per group, the (subject, code, pairs a week) it studies."""
    rng = ctx.rng("groups")
    p = ctx.profile
    n_groups = max(1, math.ceil(ctx.n_students / p.group_size))
    out: list[tuple[GroupInfo, list[tuple[str, str | None, int]]]] = []
    if p.kind == "college":
        specialties = list(SPECIALTIES)
        if p.id == "usolye":
            specialties = [s for s in SPECIALTIES if s.abbr in ("МХ", "БУ", "ПК", "ЭО")]
        counters: dict[tuple[str, int], int] = defaultdict(int)
        for i in range(n_groups):
            course = 1 + i % 4
            spec = specialties[(i // 4) % len(specialties)]
            counters[(spec.abbr, course)] += 1
            name = f"{spec.abbr}-{course}{counters[(spec.abbr, course)]}"
            group = GroupInfo(
                id=f"g{i + 1}",
                name=name,
                grade=None,
                course=course,
                curator_id="",
                room=f"{rng.randint(1, 4)}{rng.randint(0, 2)}{rng.randint(1, 9)}",
            )
            subjects: list[tuple[str, str | None, int]] = [
                (n, c, 2) for c, n in COMMON_DISCIPLINES[course]
            ]
            if course >= 2:
                k = min(len(spec.disciplines), 3 + course // 2)
                start = (course - 2) % max(1, len(spec.disciplines) - k + 1)
                for code, name_ in spec.disciplines[start : start + k]:
                    subjects.append((name_, code, 3))
            group_specialty = f"{spec.code} {spec.name}"
            group.specialty = group_specialty
            out.append((group, subjects))
        return out
    letters = "АБВГ"
    per_grade = max(1, round(n_groups / 11))
    n = 0
    for grade in range(1, 12):
        for k in range(per_grade):
            n += 1
            group = GroupInfo(
                id=f"g{n}",
                name=f"{grade}{letters[k]}",
                grade=grade,
                course=None,
                curator_id="",
                room=f"{rng.randint(1, 3)}{rng.randint(0, 2)}",
            )
            subjects = [
                (name, None, hours)
                for name, (lo, hi, hours) in SCHOOL_SUBJECTS.items()
                if lo <= grade <= hi
            ]
            out.append((group, subjects))
    return out


def _daily_limit(ctx: Context, group: GroupInfo) -> int:
    if ctx.profile.kind == "college":
        return 4
    if group.grade is not None and group.grade <= 1:
        return 4
    if group.grade is not None and group.grade <= 4:
        return 5
    return 7


def _timetable(ctx: Context, group: GroupInfo) -> None:
    """Spread the group's weekly lessons over its week, a few a day from lesson 1."""
    rng = ctx.rng(f"timetable:{group.id}")
    slots: list[Assignment] = []
    for a in group.assignments:
        slots.extend([a] * a.weekly)
    rng.shuffle(slots)
    days = list(range(ctx.profile.week_days))
    limit = _daily_limit(ctx, group)
    per_day: dict[int, list[Assignment]] = {d: [] for d in days}
    for i, a in enumerate(slots):
        for offset in range(len(days)):
            d = days[(i + offset) % len(days)]
            cap = limit - 1 if d == 5 else limit
            if len(per_day[d]) < cap and a not in per_day[d][-1:]:
                per_day[d].append(a)
                break
    group.timetable = {d: [(n + 1, a) for n, a in enumerate(lst)] for d, lst in per_day.items()}


def add_subjects_and_assignments(
    ctx: Context, shells: list[tuple[GroupInfo, list[tuple[str, str | None, int]]]]
) -> None:
    rng = ctx.rng("assignments")
    subjects = ctx.b.table("subject", ["name", "short_name", "code", "foreign_language"])
    created = ctx.stamp(dt.date(ctx.year, 8, 20), 11 * 3600)
    teachers = ctx.staff["teacher"]
    by_subject_teachers: dict[str, list[str]] = {}
    load: dict[str, int] = defaultdict(int)
    groups_table = ctx.b.table(
        "group",
        [
            "name",
            "group_kind",
            "year_id",
            "grade",
            "course",
            "curator_id",
            "department",
            "specialty",
        ],
    )
    tas = ctx.b.table(
        "teaching_assignment", ["group_id", "subject_id", "teacher_id", "curriculum_hours"]
    )
    t_index = 0
    for group, subject_list in shells:
        for name, code, weekly in subject_list:
            key = f"{code or ''} {name}".strip()
            sid = ctx.subject_ids.get(key)
            if sid is None:
                sid = ctx.b.next_id("sb")
                ctx.subject_ids[key] = sid
                short = (
                    name
                    if len(name) <= 16
                    else "".join(w[0].upper() for w in name.split() if w[0].isalpha())
                )
                subjects.add(
                    sid,
                    created,
                    name=name,
                    short_name=short,
                    code=code,
                    foreign_language=name in FOREIGN_LANGUAGE_SUBJECTS,
                )
            pool = by_subject_teachers.setdefault(sid, [])
            if not pool or load[pool[-1]] >= 5:
                pool.append(teachers[t_index % len(teachers)])
                t_index += 1
            teacher = min(pool, key=lambda t: (load[t], t))
            load[teacher] += 1
            a = Assignment(ctx.b.next_id("ta"), group, sid, name, teacher, weekly)
            group.assignments.append(a)
            ctx.assignments.append(a)
    curators = list(teachers)
    rng.shuffle(curators)
    for i, (group, _) in enumerate(shells):
        group.curator_id = curators[i % len(curators)]
        _timetable(ctx, group)
        department = None
        if ctx.profile.departments:
            department = ctx.profile.departments[i % len(ctx.profile.departments)]
        groups_table.add(
            group.id,
            created,
            name=group.name,
            group_kind="academic_group" if group.course else "class",
            year_id=ctx.year_id,
            grade=group.grade,
            course=group.course,
            curator_id=group.curator_id,
            department=department,
            specialty=group.specialty,
        )
        ctx.groups.append(group)
    # class teachers / curators carry the role
    person = ctx.table("person")
    curator_set = {g.curator_id for g in ctx.groups}
    for pid in sorted(curator_set):
        row = person.by_id[pid]
        person.set(row, "roles", ["teacher", "class_teacher"])
        ctx.staff["class_teacher"].append(pid)
    # the year's lessons of every assignment, for plans and curriculum hours
    day = ctx.year_start
    while day <= ctx.year_end:
        for group in ctx.groups:
            if not ctx.cal.is_lesson_day(day, group.grade):
                continue
            for number, a in group.timetable.get(ctx.cal.timetable_weekday(day), []):
                a.slots.append((day, number))
        day += dt.timedelta(days=1)
    for a in ctx.assignments:
        tas.add(
            a.id,
            created,
            group_id=a.group.id,
            subject_id=a.subject_id,
            teacher_id=a.teacher_id,
            curriculum_hours=float(len(a.slots) * ctx.profile.hours_per_lesson),
        )


def _plan_items(ctx: Context, a: Assignment, count: int) -> list[tuple[str, str, int | None]]:
    """(topic, work kind, work number) for each planned lesson."""
    topics = topics_for(a.subject_name)
    college = ctx.profile.kind == "college"
    code = subject_code(ctx, a)
    professional = college and code.startswith(("ОП", "МДК"))
    lab_subject = a.subject_name in (
        "Физика",
        "Химия",
        "Электротехника и электроника",
        "Материаловедение",
    )
    numbers: dict[str, int] = defaultdict(int)
    per_topic = max(2, count // max(1, len(topics)))
    out: list[tuple[str, str, int | None]] = []
    grade1 = a.group.grade == 1
    for i in range(1, count + 1):
        topic = topics[((i - 1) // per_topic) % len(topics)]
        position = (i - 1) % per_topic
        kind = "lesson"
        if not grade1 and i % 12 == 0:
            kind = "control"
        elif lab_subject and i % 6 == 0:
            kind = "laboratory"
        elif (professional or a.subject_name == "Информатика") and i % 4 == 0:
            kind = "practical"
        if kind == "lesson":
            text = (
                topic
                if position == 0
                else f"{topic}. {_LESSON_SUFFIXES[position % len(_LESSON_SUFFIXES)]}"
            )
            out.append((text, "lecture" if college else "lesson", None))
            continue
        numbers[kind] += 1
        n = numbers[kind]
        if kind == "practical":
            text = f"Практическая работа № {n} «{topic}»"
        elif kind == "laboratory":
            text = f"Лабораторная работа № {n} «{topic}»"
        elif a.subject_name == "Русский язык" and n % 2 == 0:
            text = f"Контрольный диктант № {n} по теме «{topic}»"
        else:
            text = f"Контрольная работа № {n} по теме «{topic}»"
        out.append((text, kind, n))
    return out


_LESSON_SUFFIXES = ("Введение", "Закрепление", "Решение задач", "Обобщение и систематизация")


def subject_code(ctx: Context, a: Assignment) -> str:
    return ctx.table("subject").by_id[a.subject_id][ctx.table("subject").index["code"]] or ""


def add_plans(ctx: Context) -> None:
    rng = ctx.rng("plans")
    plans = ctx.b.table("plan", ["group_id", "subject_id", "teacher_id", "year_id", "total_hours"])
    items = ctx.b.table(
        "plan_item", ["plan_id", "ordinal", "topic", "hours", "work_kind", "work_number"]
    )
    hours = float(ctx.profile.hours_per_lesson)
    for a in ctx.assignments:
        a.plan_id = ctx.b.next_id("kp")
        entered = dt.date(ctx.year, 8, rng.randint(15, 24))
        created = ctx.stamp(entered, rng.randint(9 * 3600, 17 * 3600))
        count = len(a.slots)
        plans.add(
            a.plan_id,
            created,
            group_id=a.group.id,
            subject_id=a.subject_id,
            teacher_id=a.teacher_id,
            year_id=ctx.year_id,
            total_hours=count * hours,
        )
        for ordinal, (topic, kind, number) in enumerate(_plan_items(ctx, a, count), start=1):
            row = items.add(
                ctx.b.next_id("pi"),
                created,
                plan_id=a.plan_id,
                ordinal=ordinal,
                topic=topic,
                hours=hours,
                work_kind=kind,
                work_number=number,
            )
            a.items.append(row)
