"""The journal itself: lessons with topics, homework, marks, absences with reasons, final marks."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from emulators.scenario.builder import Row, seconds_of
from emulators.scenario.calendar import PeriodSpan
from emulators.scenario.context import (
    ABSENCE_COLUMNS,
    LESSON_COLUMNS,
    MARK_COLUMNS,
    WORK_KIND_BY_PLAN,
    Assignment,
    Context,
    LessonInfo,
    StudentInfo,
    exemption_code,
    group_of,
)
from emulators.scenario.curriculum import (
    WORK_KINDS,
)


def add_journal(ctx: Context) -> None:
    """Lessons with their topics, homework, marks and absences, entered on time."""
    rng = ctx.rng("journal")
    p = ctx.profile
    college = p.kind == "college"
    lessons = ctx.b.table("lesson", LESSON_COLUMNS)
    homework = ctx.b.table("homework", ["lesson_id", "text", "due_date"])
    marks = ctx.b.table("mark", MARK_COLUMNS)
    absences = ctx.b.table("absence", ABSENCE_COLUMNS)
    bells = {n: (s, e) for n, s, e in p.bells}
    hours = float(p.hours_per_lesson)
    evening = 19 * 3600 + 30 * 60
    by_group_day: dict[tuple[str, dt.date], list[tuple[int, Assignment, int]]] = defaultdict(list)
    for a in ctx.assignments:
        for ordinal, (day, number) in enumerate(a.slots):
            if ctx.in_window(day) and (a.id, day) not in ctx.skip_lessons:
                by_group_day[(a.group.id, day)].append((number, a, ordinal))
    students_by_group: dict[str, list[StudentInfo]] = defaultdict(list)
    for s in ctx.students.values():
        for g in {g for g, _, _ in s.intervals}:
            students_by_group[g].append(s)
    pending_hw: dict[str, Row] = {}
    mark_counts: dict[tuple[str, str], int] = defaultdict(int)
    lecture_rate = 0.9 if college else 0.3
    published: dict[dt.date, str] = {}
    for key in sorted(by_group_day, key=lambda k: (k[1], int(k[0][1:]))):
        group_id, day = key
        group = group_of(ctx, group_id)
        todays = sorted(by_group_day[key], key=lambda t: t[0])
        last_end = bells[todays[-1][0]][1]
        ctx.group_last_end[(group_id, day)] = last_end
        if day not in published:
            friday = day - dt.timedelta(days=(day.weekday() - 4) % 7 or 7)
            published[day] = ctx.stamp(max(friday, dt.date(ctx.year, 8, 30)), 15 * 3600)
        roster = [s for s in students_by_group[group_id] if ctx.active(s, group_id, day)]
        for number, a, ordinal in todays:
            start, end = bells[number]
            item = a.items[min(ordinal, len(a.items) - 1)]
            item_kind = item[6]
            lid = ctx.b.next_id("l")
            row = [
                lid,
                published[day],
                group_id,
                a.subject_id,
                a.teacher_id,
                day.isoformat(),
                number,
                start.isoformat(),
                end.isoformat(),
                None,
                hours,
                group.room,
                item[0],
                None,
            ]
            lessons.append(row)
            s0, e0 = seconds_of(start), seconds_of(end)
            topic_at = min(rng.randint(s0 + 300, e0 + 3600), evening)
            ctx.b.edit("lesson", lid, ctx.stamp(day, topic_at), "topic", item[4])
            info = LessonInfo(
                lid, row, a, day, number, start, end, item, item_kind, topic_at, ctx.b.edits[-1]
            )
            ctx.lessons.append(info)
            ctx.lessons_by_id[lid] = info
            previous = pending_hw.pop(a.id, None)
            if previous is not None:
                previous[4] = day.isoformat()
            if group.grade != 1 and a.subject_name != "Физическая культура" and rng.random() < 0.65:
                hw_at = min(rng.randint(s0, seconds_of(last_end) + 3000), evening)
                hw_row = [
                    ctx.b.next_id("h"),
                    ctx.stamp(day, hw_at),
                    lid,
                    _homework_text(rng, item[4], a.subject_name),
                    None,
                ]
                homework.append(hw_row)
                ctx.homework_by_lesson[lid] = hw_row
                pending_hw[a.id] = hw_row
            if group.grade == 1:
                rate = 0.0
            elif item_kind in WORK_KIND_BY_PLAN:
                rate = 1.3
            else:
                rate = lecture_rate
            for s in roster:
                r = rng.random()
                if r < s.absence_rate or (s.exempt_pe and a.subject_name == "Физическая культура"):
                    exempt = s.exempt_pe and a.subject_name == "Физическая культура"
                    code = (
                        exemption_code(p.demo_platform)
                        if exempt
                        else ("ОП" if r < s.absence_rate * 0.12 else "ОТ")
                    )
                    at = ctx.stamp(day, rng.randint(s0, min(e0 + 1800, evening)))
                    arow = [
                        ctx.b.next_id("a"),
                        at,
                        s.id,
                        lid,
                        day.isoformat(),
                        code,
                        True if exempt else None,
                        None,
                    ]
                    absences.append(arow)
                    ctx.absences_by_lesson[lid].append(arow)
                    if code != "ОП":
                        continue
                if rate == 0.0 or rng.random() >= rate:
                    continue
                extra = rate > 1.0 and rng.random() < rate - 1.0
                limit = ctx.mark_limits.get((s.id, a.id))
                if limit is not None:
                    if mark_counts[(s.id, a.id)] >= limit:
                        continue
                    mark_counts[(s.id, a.id)] += 1
                mrow = _mark_row(ctx, rng, s, a, lid, group_id, day, item_kind, (s0, e0, evening))
                at_s = seconds_of(dt.datetime.fromisoformat(mrow[1]).time())
                marks.append(mrow)
                ctx.marks_by_lesson[lid].append(mrow)
                if extra and limit is None:
                    # an oral answer besides the practical work: a second mark that pair
                    value = int(s.ability + rng.random() * 1.8 - 0.9 + 0.5)
                    value = 2 if value < 2 else 5 if value > 5 else value
                    second = list(mrow)
                    second[0] = ctx.b.next_id("m")
                    second[1] = ctx.stamp(day, min(at_s + 240, evening))
                    second[7], second[9] = str(value), float(value)
                    second[10], second[11] = "wk-answer", WEIGHTS["wk-answer"]
                    marks.append(second)
                    ctx.marks_by_lesson[lid].append(second)
    _density_floor(ctx, marks.rows, absences.rows)
    _absence_reasons(ctx)


def _mark_row(
    ctx: Context,
    rng: random.Random,
    s: StudentInfo,
    a: Assignment,
    lid: str,
    group_id: str,
    day: dt.date,
    item_kind: str,
    span: tuple[int, int, int],
) -> Row:
    """One current mark for a lesson, entered within 1.5 hours of its end (before the evening)."""
    s0, e0, evening = span
    wk = WORK_KIND_BY_PLAN.get(item_kind)
    if wk is None:
        wk = rng.choice(("wk-answer", "wk-answer", "wk-homework", "wk-independent", "wk-test"))
    value = int(s.ability + rng.random() * 1.8 - 0.9 + 0.5)
    value = 2 if value < 2 else 5 if value > 5 else value
    at_s = min(rng.randint(s0 + 600, e0 + 5400), evening)
    return [
        ctx.b.next_id("m"),
        ctx.stamp(day, at_s),
        s.id,
        a.subject_id,
        group_id,
        lid,
        day.isoformat(),
        str(value),
        "five_point",
        float(value),
        wk,
        WEIGHTS[wk],
        None,
        None,
        None,
        a.teacher_id,
    ]


DENSITY_FLOOR = 3
"""Current marks an ordinary student gets per subject and period when present often enough.

A journal kept as the regulations ask leaves no student without marks, so
``marks.density`` finds only what was planted; three (not two) so that one
mark taken away by another rule's planted edit cannot make a near case."""


def _density_floor(ctx: Context, marks: list[Row], absences: list[Row]) -> None:
    """Top up each present student's marks per assignment and period to the floor.

    Only assignments that are marked at all (not grade 1), students without a
    planted limit, and lessons the student attended (no absence, or late "ОП")
    that carry no mark of theirs yet; the extra marks are ordinary ones.
    """
    rng = ctx.rng("density-floor")
    absent = {(r[2], r[3]) for r in absences if r[5] != "ОП"}
    marked = {(m[2], m[5]) for m in marks}
    lessons: dict[tuple[str, str], list[LessonInfo]] = defaultdict(list)
    for x in ctx.lessons:
        if x.assignment.group.grade == 1:
            continue
        period = ctx.period_of(x.day)
        if period is not None:
            lessons[(x.assignment.id, period[0])].append(x)
    evening = 19 * 3600 + 30 * 60
    for (aid, _), held in sorted(lessons.items()):
        a = held[0].assignment
        for s in sorted(ctx.students.values(), key=lambda t: int(t.id[1:])):
            if (s.id, aid) in ctx.mark_limits:
                continue
            attended = [
                x for x in held if ctx.active(s, a.group.id, x.day) and (s.id, x.id) not in absent
            ]
            have = sum(1 for x in attended if (s.id, x.id) in marked)
            free = [x for x in attended if (s.id, x.id) not in marked]
            for x in sorted(
                rng.sample(free, k=min(len(free), max(0, DENSITY_FLOOR - have))), key=lambda y: y.id
            ):
                if s.exempt_pe and a.subject_name == "Физическая культура":
                    break
                row = _mark_row(
                    ctx,
                    rng,
                    s,
                    a,
                    x.id,
                    a.group.id,
                    x.day,
                    x.item_kind,
                    (seconds_of(x.start), seconds_of(x.end), evening),
                )
                marks.append(row)
                ctx.marks_by_lesson[x.id].append(row)
                marked.add((s.id, x.id))


WEIGHTS = {w[0]: w[3] for w in WORK_KINDS}


def _homework_text(rng: random.Random, topic: str, subject: str) -> str:
    stem = rng.choice(
        [
            "Выучить конспект по теме",
            "Подготовить ответы на вопросы по теме",
            "Выполнить упражнения по теме",
            "Решить задачи по теме",
            "Подготовить сообщение по теме",
        ]
    )
    page = rng.randint(12, 240)
    return f"{stem} «{topic[:60]}», с. {page}"


def _absence_reasons(ctx: Context) -> None:
    """The class teacher sets each absence's reason within the week (and 2 working days of the document)."""
    rng = ctx.rng("reasons")
    for lid, rows in ctx.absences_by_lesson.items():
        lesson = ctx.lessons_by_id[lid]
        for row in rows:
            if row[5] != "ОТ":
                continue
            day = lesson.day
            deadline = ctx.dl.absence_reason(day, None) if ctx.profile.id != "talmenka" else None
            last = (
                deadline.date()
                if deadline is not None
                else day + dt.timedelta(days=(4 - day.weekday()) % 7)
            )
            if last < day:
                last = day
            doc = day + dt.timedelta(days=rng.randint(0, max(0, (last - day).days)))
            while not ctx.cal.is_working_day(doc) and doc > day:
                doc -= dt.timedelta(days=1)
            at = ctx.stamp(doc, rng.randint(15 * 3600, 18 * 3600))
            if at <= row[1]:
                at = ctx.stamp(doc, 19 * 3600 + 45 * 60)
            code = rng.choices(["Б", "УП", "НП"], [6, 3, 2])[0]
            first = len(ctx.b.edits)
            ctx.b.edit("absence", row[0], at, "code", code)
            ctx.b.edit("absence", row[0], at, "valid", code != "НП")
            if code != "НП":
                ctx.b.edit("absence", row[0], at, "document_date", doc.isoformat())
            ctx.reason_edits[row[0]] = ctx.b.edits[first:]


def add_final_marks(ctx: Context) -> None:
    """Period marks in the last week of every period that ends inside the window."""
    rng = ctx.rng("final")
    marks = ctx.table("mark")
    college = ctx.profile.kind == "college"
    sums: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for lesson in ctx.lessons:
        found = ctx.period_of(lesson.day)
        if found is None:
            continue
        for m in ctx.marks_by_lesson.get(lesson.id, ()):
            acc = sums[(found[0], m[2], lesson.assignment.id)]
            acc[0] += m[9] * m[11]
            acc[1] += m[11]
    targets: list[tuple[str, PeriodSpan, str]] = [
        (pid, span, "attestation" if college else "period")
        for pid, span in ctx.period_ids
        if ctx.window_start <= span.ends_on < ctx.window_end
    ]
    if ctx.window_start <= ctx.year_end < ctx.window_end and not college:
        targets.append(
            (ctx.year_period_id, PeriodSpan(0, "Год", ctx.year_start, ctx.year_end), "year")
        )
    for pid, span, final_kind in targets:
        last_day = span.ends_on
        while not ctx.cal.is_working_day(last_day):
            last_day -= dt.timedelta(days=1)
        for group in ctx.groups:
            if group.grade == 1:
                continue
            for a in group.assignments:
                day = last_day - dt.timedelta(days=rng.randint(1, 4))
                while not ctx.cal.is_working_day(day):
                    day -= dt.timedelta(days=1)
                for s in ctx.students.values():
                    if not ctx.active(s, group.id, span.ends_on):
                        continue
                    if final_kind == "year":
                        keys = [(p, s.id, a.id) for p, _ in ctx.period_ids]
                        total = [
                            sum(sums[k][0] for k in keys if k in sums),
                            sum(sums[k][1] for k in keys if k in sums),
                        ]
                    else:
                        total = sums.get((pid, s.id, a.id), [0.0, 0.0])
                    if total[1] == 0:
                        value, numeric = "н/а", None
                    else:
                        numeric = float(min(5, max(2, int(total[0] / total[1] + 0.5))))
                        value = str(int(numeric))
                    at = ctx.stamp(day, rng.randint(14 * 3600, 18 * 3600))
                    row = [
                        ctx.b.next_id("m"),
                        at,
                        s.id,
                        a.subject_id,
                        group.id,
                        None,
                        span.ends_on.isoformat(),
                        value,
                        "five_point",
                        numeric,
                        "wk-final",
                        None,
                        None,
                        final_kind,
                        pid,
                        a.teacher_id,
                    ]
                    marks.append(row)
                    ctx.final_marks.append((row, span, a))
                    if final_kind == "year":
                        moment = ctx.clock.parse(at)
                        if ctx.year_marks_at is None or moment > ctx.year_marks_at:
                            ctx.year_marks_at = moment
