"""Planters for marks: deadlines, kinds of work, the scale, final marks, density."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulators.poo.formats import MARK_WORDS as POO_MARK_WORDS
from emulators.scenario.plants.common import (
    M_AT,
    M_FINAL,
    M_ID,
    M_NUMERIC,
    M_VALUE,
    M_WEIGHT,
    M_WORK_KIND,
    SECOND,
    case,
    fits,
    has,
    is_boundary_day,
    lesson_key,
    mark_entry_cases,
    pick,
    same_period,
    window_label,
)
from emulators.scenario.plants.registry import planter, preparer

if TYPE_CHECKING:
    from emulators.scenario.context import Assignment, Context, LessonInfo


def _with_marks(ctx: Context, lesson: LessonInfo) -> bool:
    return bool(ctx.marks_by_lesson.get(lesson.id)) and lesson.item_kind not in (
        "control",
        "practical",
        "laboratory",
    )


@planter("marks.deadline")
def marks_deadline(ctx: Context) -> None:
    """Late current marks: a second late, days late, on calendar specials; and on time at the deadline."""
    lessons = ctx.lessons
    special = [x for x in lessons if is_boundary_day(ctx, x.day) and _with_marks(ctx, x)]
    plain = [x for x in lessons if _with_marks(ctx, x)]
    chosen = pick(ctx, special, 2, "marks.deadline:special", lesson_key) + pick(
        ctx, plain, 4, "marks.deadline", lesson_key
    )
    for i, lesson in enumerate(chosen):
        deadline = ctx.dl.marks(lesson.day)
        row = ctx.marks_by_lesson[lesson.id][0]
        special_label = is_boundary_day(ctx, lesson.day)
        late = deadline + (SECOND if i % 2 == 0 else dt.timedelta(days=2, hours=-9))
        if not fits(ctx, late) or not same_period(ctx, lesson.day, late):
            late = deadline + SECOND
        label = (
            f"boundary: {deadline.strftime('%H:%M:%S')} + 1 s"
            if late == deadline + SECOND
            else "days late"
        )
        if special_label:
            label = f"{special_label}, {label}"
        row[M_AT] = ctx.iso(late)
        case(ctx, "marks.deadline", "mark", row[M_ID], label, made_at=late, deadline=deadline)
        mark_entry_cases(ctx, row, lesson, late, label, skip={"marks.deadline"})
        # the neighbour mark of the same lesson made exactly at the deadline: met
        others = ctx.marks_by_lesson[lesson.id][1:2]
        for other in others:
            other[M_AT] = ctx.iso(deadline)
            near = f"boundary: {deadline.strftime('%H:%M:%S')} sharp"
            if special_label:
                near = f"{special_label}, {near}"
            case(
                ctx,
                "marks.deadline",
                "mark",
                other[M_ID],
                near,
                made_at=deadline,
                deadline=deadline,
                near_miss=True,
            )
            mark_entry_cases(ctx, other, lesson, deadline, near, skip={"marks.deadline"})


@planter("marks.work_type.required")
def work_type_required(ctx: Context) -> None:
    lessons = [x for x in ctx.lessons if _with_marks(ctx, x)]
    for lesson in pick(ctx, lessons, 4, "work_type", lesson_key):
        row = ctx.marks_by_lesson[lesson.id][-1]
        row[M_WORK_KIND] = None
        row[M_WEIGHT] = None
        case(
            ctx,
            "marks.work_type.required",
            "mark",
            row[M_ID],
            "mark without a kind of work",
            made_at=row[M_AT],
            condition="у отметки не указан вид работы",
        )


@planter("marks.scale")
def scale(ctx: Context) -> None:
    lessons = [x for x in ctx.lessons if _with_marks(ctx, x)]
    values = [
        ("5/4", "two marks in one cell"),
        ("4-", "mark with a minus"),
        ("зч", "credit written as «зч»"),
        ("нз", "no credit written as «нз»"),
    ]
    if ctx.profile.demo_platform == "poo":
        # «Модуль ПОО» keeps marks in its own vocabulary (Two…Five, Success, Fail): a
        # cell like «5/4» or «4-» cannot be entered there, so only what it can show is planted
        values = [v for v in values if v[0] in POO_MARK_WORDS]
    else:
        values = values[:3]
    for lesson, (value, label) in zip(
        pick(ctx, lessons, 3, "scale", lesson_key), values, strict=False
    ):
        row = ctx.marks_by_lesson[lesson.id][0]
        row[M_VALUE] = value
        row[M_NUMERIC] = None
        case(
            ctx,
            "marks.scale",
            "mark",
            row[M_ID],
            label,
            made_at=row[M_AT],
            condition=f"отметка «{value}» вне шкалы «2»–«5»",
        )


@planter("marks.control_work.deadline")
def control_work(ctx: Context) -> None:
    """Control-work marks after N working days; near misses inside the window (not late for marks.deadline)."""
    control = [
        x
        for x in ctx.lessons
        if x.item_kind == "control"
        and sum(1 for m in ctx.marks_by_lesson.get(x.id, []) if m[M_WORK_KIND] == "wk-control") >= 3
    ]

    def deadline_of(lesson: LessonInfo) -> dt.datetime:
        return ctx.dl.control_work(lesson.day, lesson.assignment.group.grade)

    def special(lesson: LessonInfo) -> bool:
        return window_label(ctx, lesson.day, deadline_of(lesson).date()) is not None

    chosen = pick(ctx, control, 2, "control:special", lesson_key, special)
    chosen += pick(ctx, control, 4 - len(chosen), "control", lesson_key)
    for i, lesson in enumerate(chosen):
        deadline = deadline_of(lesson)
        label = window_label(ctx, lesson.day, deadline.date())
        marks = [m for m in ctx.marks_by_lesson[lesson.id] if m[M_WORK_KIND] == "wk-control"]
        late = deadline + SECOND if i % 2 == 0 else deadline + dt.timedelta(days=3)
        if not fits(ctx, late) or not same_period(ctx, lesson.day, late):
            late = deadline + SECOND
        if not fits(ctx, late):
            continue
        what = "boundary: one second late" if late == deadline + SECOND else "three days late"
        text = f"{label}, {what}" if label else what
        for row in marks[:2]:
            row[M_AT] = ctx.iso(late)
            case(
                ctx,
                "marks.control_work.deadline",
                "mark",
                row[M_ID],
                text,
                made_at=late,
                deadline=deadline,
            )
            mark_entry_cases(
                ctx, row, lesson, late, text, skip={"marks.deadline", "marks.control_work.deadline"}
            )
        for row in marks[2:3]:
            row[M_AT] = ctx.iso(deadline)
            near = f"{label}, at the deadline" if label else "at the deadline"
            case(
                ctx,
                "marks.control_work.deadline",
                "mark",
                row[M_ID],
                near,
                made_at=deadline,
                deadline=deadline,
                near_miss=True,
            )
            mark_entry_cases(
                ctx,
                row,
                lesson,
                deadline,
                near,
                skip={"marks.deadline", "marks.no_backdating", "marks.control_work.deadline"},
            )


@planter("marks.first_grade.none")
def first_grade(ctx: Context) -> None:
    lessons = [
        x
        for x in ctx.lessons
        if x.assignment.group.grade == 1 and x.assignment.subject_name != "Физическая культура"
    ]
    marks = ctx.table("mark")
    homework = ctx.table("homework")
    for lesson in pick(ctx, lessons, 3, "first_grade", lesson_key):
        group = lesson.assignment.group
        student = next(
            (
                s
                for s in sorted(ctx.students.values(), key=lambda s: s.id)
                if ctx.active(s, group.id, lesson.day)
            ),
            None,
        )
        at = ctx.dl.at(lesson.day, lesson.end) + dt.timedelta(minutes=20)
        if student is not None:
            mid = ctx.b.next_id("m")
            marks.append(
                [
                    mid,
                    ctx.iso(at),
                    student.id,
                    lesson.assignment.subject_id,
                    group.id,
                    lesson.id,
                    lesson.day.isoformat(),
                    "5",
                    "five_point",
                    5.0,
                    "wk-answer",
                    1.0,
                    None,
                    None,
                    None,
                    lesson.assignment.teacher_id,
                ]
            )
            case(
                ctx,
                "marks.first_grade.none",
                "mark",
                mid,
                "mark in grade 1",
                made_at=at,
                condition="отметка в 1 классе",
            )
        hid = ctx.b.next_id("h")
        homework.append([hid, ctx.iso(at), lesson.id, "Прочитать текст на с. 14", None])
        case(
            ctx,
            "marks.first_grade.none",
            "homework",
            hid,
            "homework in grade 1",
            made_at=at,
            condition="домашнее задание в 1 классе",
        )


def carried_final(ctx: Context) -> Callable[[Any], bool]:
    """Whether the demo platform can show a final mark: «Модуль ПОО» has no word for «н/а»
    (a student not attested), so such a final never reaches a pull and its lateness
    cannot be observed; a case planted on it could only be missed."""
    if ctx.profile.demo_platform != "poo":
        return lambda _f: True
    return lambda f: f[0][M_VALUE] in POO_MARK_WORDS


@planter("final_marks.deadline")
def final_deadline(ctx: Context) -> None:
    finals = [f for f in ctx.final_marks if f[0][M_FINAL] in ("period", "attestation")]
    if not finals:
        ctx.b.not_planted.append(
            {
                "rule_id": "final_marks.deadline",
                "reason": "в окне сценария не заканчивается ни один период",
            }
        )
        return
    chosen = pick(
        ctx, finals, 4, "final_deadline", lambda f: ("mark", f[0][M_ID]), carried_final(ctx)
    )
    for i, (row, span, _a) in enumerate(chosen):
        deadline = ctx.dl.final_marks(span.ends_on)
        special = is_boundary_day(ctx, span.ends_on)
        if i == 3:
            row[M_AT] = ctx.iso(deadline)
            label = "boundary: last second of the period"
            case(
                ctx,
                "final_marks.deadline",
                "mark",
                row[M_ID],
                f"{special}, {label}" if special else label,
                made_at=deadline,
                deadline=deadline,
                period_id=row[14],
                near_miss=True,
            )
            continue
        late = deadline + SECOND if i == 0 else deadline + dt.timedelta(days=2 + i, hours=-12)
        if not fits(ctx, late):
            late = deadline + SECOND
        row[M_AT] = ctx.iso(late)
        label = (
            "boundary: first second after the period"
            if late == deadline + SECOND
            else "set during the holidays"
        )
        if special:
            label = f"period ends on a {special}, {label}"
        case(
            ctx,
            "final_marks.deadline",
            "mark",
            row[M_ID],
            label,
            made_at=late,
            deadline=deadline,
            period_id=row[14],
        )
        if has(ctx, "period.lock"):
            case(
                ctx,
                "period.lock",
                "mark",
                row[M_ID],
                f"side effect: {label}",
                made_at=late,
                deadline=deadline,
                period_id=row[14],
            )


@planter("final_marks.visible.deadline")
def final_visible(ctx: Context) -> None:
    finals = [f for f in ctx.final_marks if f[0][M_FINAL] in ("period", "attestation")]
    if not finals:
        ctx.b.not_planted.append(
            {
                "rule_id": "final_marks.visible.deadline",
                "reason": "в окне сценария не заканчивается ни один период",
            }
        )
        return
    chosen = pick(ctx, finals, 4, "final_visible", lambda f: ("mark", f[0][M_ID]))
    for i, (row, span, _a) in enumerate(chosen):
        deadline = ctx.dl.final_visible(span.ends_on)
        if i == 3:
            row[M_AT] = ctx.iso(deadline)
            case(
                ctx,
                "final_marks.visible.deadline",
                "mark",
                row[M_ID],
                "boundary: third day 23:59:59",
                made_at=deadline,
                deadline=deadline,
                period_id=row[14],
                near_miss=True,
            )
            continue
        late = deadline + SECOND if i == 0 else deadline + dt.timedelta(days=i + 1)
        if not fits(ctx, late):
            late = deadline + SECOND
        row[M_AT] = ctx.iso(late)
        label = (
            "boundary: one second after the third day"
            if late == deadline + SECOND
            else "results shown days late"
        )
        case(
            ctx,
            "final_marks.visible.deadline",
            "mark",
            row[M_ID],
            label,
            made_at=late,
            deadline=deadline,
            period_id=row[14],
        )


@preparer("marks.density")
def density_prepare(ctx: Context) -> None:
    """Before the journal: students of two group-subjects get no marks, one gets a single mark.

    Enough classmates stay ordinary for the group's typical student to have
    marks (two without marks from seven students on, one below that), and the
    movements leave these groups alone, so nobody's count depends on an order.
    """
    rng = ctx.rng("density")
    window = [ctx.window_start, ctx.window_end - dt.timedelta(days=1)]
    period = ctx.period_of(ctx.window_start + dt.timedelta(days=7)) or ctx.period_ids[0]

    def in_period(day: dt.date) -> bool:
        return ctx.in_window(day) and period[1].starts_on <= day <= period[1].ends_on

    def steady(a: Assignment) -> list[str]:
        return sorted(
            (
                s.id
                for s in ctx.students.values()
                if all(ctx.active(s, a.group.id, d) for d in window)
            ),
            key=lambda s: int(s[1:]),
        )

    candidates = [
        a
        for a in ctx.assignments
        if a.group.grade != 1
        and a.subject_name != "Физическая культура"
        and sum(1 for d, _ in a.slots if in_period(d)) >= 6
        and len(steady(a)) >= 4
    ]
    if not candidates:
        return
    chosen = rng.sample(candidates, k=min(2, len(candidates)))
    picked: list[tuple[str, list[str], list[str]]] = []
    for a in chosen:
        students = steady(a)
        zero = students[1:3] if len(students) >= 7 else students[1:2]
        one = students[len(zero) + 1 : len(zero) + 2]
        for s in zero:
            ctx.mark_limits[(s, a.id)] = 0
        for s in one:
            ctx.mark_limits[(s, a.id)] = 1
        picked.append((a.id, zero, one))
        ctx.notes.setdefault("settled_students", set()).update(students)
        ctx.notes.setdefault("settled_groups", set()).add(a.group.id)
    ctx.notes["density_targets"] = picked


@planter("marks.density")
def density(ctx: Context) -> None:
    targets = ctx.notes.get("density_targets", [])
    period = ctx.period_of(ctx.window_start + dt.timedelta(days=7)) or ctx.period_ids[0]
    for aid, zero, one in targets:
        for s in zero:
            case(
                ctx,
                "marks.density",
                "teaching_assignment",
                aid,
                "student with no marks in the period",
                condition="у обучающегося нет отметок за период",
                period_id=period[0],
                student_id=s,
            )
        for s in one:
            case(
                ctx,
                "marks.density",
                "teaching_assignment",
                aid,
                "student with a single mark in the period",
                condition="у обучающегося одна отметка за период",
                period_id=period[0],
                student_id=s,
            )


@planter("marks.external_work.deadline")
def external_work(ctx: Context) -> None:
    """ВПР: the results are announced some days later; marks by the next working day after that."""
    announcements = ctx.table("result_announcement")
    marks = ctx.table("mark")
    lessons = [
        x
        for x in ctx.lessons
        if x.assignment.group.grade is not None
        and 4 <= x.assignment.group.grade <= 8
        and x.assignment.subject_name in ("Русский язык", "Математика")
        and x.item_kind == "lesson"
    ]
    for lesson in pick(
        ctx,
        lessons,
        2,
        "external",
        lesson_key,
        lambda x: x.day + dt.timedelta(days=16) < ctx.ends_on,
    ):
        group = lesson.assignment.group
        announced = ctx.cal.add_working_days(lesson.day, 6)
        deadline = ctx.dl.external_work(announced)
        if not same_period(ctx, lesson.day, deadline + dt.timedelta(days=2)):
            continue
        rid = ctx.b.next_id("ra")
        announcements.add(
            rid,
            ctx.iso(ctx.dl.at(announced, dt.time(12))),
            group_id=group.id,
            subject_id=lesson.assignment.subject_id,
            work_name=f"ВПР по предмету «{lesson.assignment.subject_name}»",
            work_date=lesson.day.isoformat(),
            announced_on=announced.isoformat(),
        )
        label = window_label(ctx, announced, deadline.date())
        students = [
            s
            for s in sorted(ctx.students.values(), key=lambda s: s.id)
            if ctx.active(s, group.id, lesson.day)
            and (s.id, lesson.assignment.id) not in ctx.mark_limits
        ]
        rng = ctx.rng(f"external:{lesson.id}")
        for i, s in enumerate(students):
            value = max(2, min(5, int(s.ability + rng.random() - 0.5 + 0.5)))
            if i == 0:
                at, kind = deadline + SECOND, "boundary: one second late"
            elif i == 1:
                at, kind = deadline + dt.timedelta(days=2), "two days late"
            elif i == 2:
                at, kind = deadline, "boundary: at the deadline"
            else:
                at, kind = ctx.dl.at(announced, dt.time(15, 30)) + dt.timedelta(minutes=i), ""
            mid = ctx.b.next_id("m")
            marks.append(
                [
                    mid,
                    ctx.iso(at),
                    s.id,
                    lesson.assignment.subject_id,
                    group.id,
                    lesson.id,
                    lesson.day.isoformat(),
                    str(value),
                    "five_point",
                    float(value),
                    "wk-external",
                    3.0,
                    None,
                    None,
                    None,
                    lesson.assignment.teacher_id,
                ]
            )
            ctx.marks_by_lesson[lesson.id].append(marks.rows[-1])
            if kind:
                text = f"{label}, {kind}" if label else kind
                case(
                    ctx,
                    "marks.external_work.deadline",
                    "mark",
                    mid,
                    text,
                    made_at=at,
                    deadline=deadline,
                    near_miss=i == 2,
                    announcement_id=rid,
                )
            if i >= 2:
                # entered long after the lesson day, yet on time: marks.deadline does not apply
                case(
                    ctx,
                    "marks.deadline",
                    "mark",
                    mid,
                    "external work: its own deadline applies",
                    made_at=at,
                    deadline=deadline,
                    near_miss=True,
                )
            if i >= 3:
                break


@planter("marks.after_outage.deadline")
def after_outage(ctx: Context) -> None:
    """The journal is down for a day and a half; the missed marks come later, some too late."""
    days = sorted({x.day for x in ctx.lessons})
    rng = ctx.rng("outage")
    candidates = [
        d
        for d in days[len(days) // 4 : len(days) // 2]
        if ctx.cal.is_working_day(ctx.cal.next_working_day(d)) and d.weekday() < 4
    ]
    if not candidates:
        return
    day = rng.choice(candidates)
    start = ctx.dl.at(day, dt.time(7, 30))
    end = ctx.dl.at(day + dt.timedelta(days=1), dt.time(13, 0))
    outage_id = ctx.b.next_id("out")
    ctx.table("journal_outage").add(
        outage_id, ctx.iso(end), starts_at=ctx.iso(start), ends_at=ctx.iso(end)
    )
    deadline = ctx.dl.after_outage(end)
    affected = [x for x in ctx.lessons if start <= ctx.dl.at(x.day, x.start) <= end]
    later = end + dt.timedelta(hours=2)
    for lesson in affected:
        # everything for these lessons is entered once the journal works again
        lesson.topic_edit[2] = ctx.iso(max(later, ctx.clock.parse(lesson.topic_edit[2])))
        hw = ctx.homework_by_lesson.get(lesson.id)
        if hw is not None:
            hw[1] = ctx.iso(max(later, ctx.clock.parse(hw[1])))
        for row in ctx.absences_by_lesson.get(lesson.id, []):
            row[1] = ctx.iso(max(later, ctx.clock.parse(row[1])))
            for edit in ctx.reason_edits.get(row[0], []):
                edit[2] = max(edit[2], ctx.iso(later + dt.timedelta(minutes=5)))
        for row in ctx.marks_by_lesson.get(lesson.id, []):
            row[M_AT] = ctx.iso(max(later, ctx.clock.parse(row[M_AT])))
    marked = [x for x in affected if len(ctx.marks_by_lesson.get(x.id, [])) >= 2]
    label = window_label(ctx, end.date(), deadline.date())
    chosen = pick(ctx, marked, 3, "outage", lesson_key)
    for other in affected:
        ctx.claimed.add(("lesson", other.id))
    for i, lesson in enumerate(chosen):
        rows = ctx.marks_by_lesson[lesson.id]
        late = deadline + SECOND if i == 0 else deadline + dt.timedelta(days=1, hours=-6)
        what = "boundary: one second late" if i == 0 else "a day late"
        rows[0][M_AT] = ctx.iso(late)
        case(
            ctx,
            "marks.after_outage.deadline",
            "mark",
            rows[0][M_ID],
            f"{label}, {what}" if label else what,
            made_at=late,
            deadline=deadline,
            outage_id=outage_id,
        )
        # a control-work mark this late may miss its own deadline too
        mark_entry_cases(
            ctx, rows[0], lesson, late, what, skip={"marks.deadline", "marks.no_backdating"}
        )
        rows[1][M_AT] = ctx.iso(deadline)
        case(
            ctx,
            "marks.after_outage.deadline",
            "mark",
            rows[1][M_ID],
            "boundary: at the deadline",
            made_at=deadline,
            deadline=deadline,
            near_miss=True,
            outage_id=outage_id,
        )
        case(
            ctx,
            "marks.deadline",
            "mark",
            rows[1][M_ID],
            "journal outage: the outage deadline applies",
            made_at=deadline,
            deadline=deadline,
            near_miss=True,
            outage_id=outage_id,
        )
