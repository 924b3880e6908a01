"""Planters for corrections and locks: changed marks, final marks, closed periods and years.

Changes are ``edits`` of the mark's ``value`` (and ``numeric``); an approval,
where the regulation allows one, is the institution's own record
(``approval``, Platform.LOCAL) and turns the case into ``expected: approved``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from emulators.scenario.builder import Row
from emulators.scenario.plants.common import (
    M_AT,
    M_FINAL,
    M_ID,
    M_VALUE,
    SECOND,
    case,
    fits,
    lesson_key,
    mark_change_cases,
    mark_entry_cases,
    parse,
    pick,
)
from emulators.scenario.plants.registry import planter

if TYPE_CHECKING:
    from emulators.scenario.context import Context, LessonInfo


def _change(ctx: Context, row: Row, at: dt.datetime) -> str:
    """Edit the mark's value one step (never to the same value)."""
    old = row[M_VALUE]
    new = {"5": "4", "4": "5", "3": "4", "2": "3"}.get(old, "4")
    stamp = ctx.iso(at)
    ctx.b.edit("mark", row[M_ID], stamp, "value", new)
    ctx.b.edit("mark", row[M_ID], stamp, "numeric", float(new))
    return new


def _approve(ctx: Context, rule: str, row: Row, at: dt.datetime, by: str) -> str:
    approval_id = ctx.b.next_id("ap")
    day = at.date()
    ctx.table("approval").add(
        approval_id,
        ctx.iso(at - dt.timedelta(hours=1)),
        rule_id=rule,
        entity_kind="mark",
        entity_id=row[M_ID],
        document_number=f"{ctx.rng('approval:' + approval_id).randint(10, 99)}-у",
        document_date=day.isoformat(),
        approved_by=by,
        note="Исправление ошибочной записи по служебной записке учителя",
    )
    return approval_id


def _current_marks(ctx: Context, min_days_left: int) -> list[tuple[Row, LessonInfo]]:
    out: list[tuple[Row, LessonInfo]] = []
    for lesson in ctx.lessons:
        if lesson.day + dt.timedelta(days=min_days_left) >= ctx.ends_on:
            continue
        rows = ctx.marks_by_lesson.get(lesson.id)
        if rows and lesson.item_kind in ("lesson", "lecture"):
            out.append((rows[0], lesson))
    return out


def _mark_key(pair: Any) -> tuple[str, str]:
    return lesson_key(pair[1])


@planter("marks.correction.window")
def correction_window(ctx: Context) -> None:
    """Same day at 20:00:00 (met) and 20:00:01 (violated), next day, next day with approval."""
    pairs = _current_marks(ctx, 4)
    for i, (row, lesson) in enumerate(pick(ctx, pairs, 5, "correction", _mark_key)):
        entered = parse(ctx, row[M_AT])
        window = ctx.dl.correction(entered)
        if entered >= window:
            continue
        if i == 0:
            at, label = window, "boundary: corrected at 20:00 sharp"
        elif i == 1:
            at, label = window + SECOND, "boundary: corrected at 20:00:01"
        elif i == 4:
            at, label = entered + dt.timedelta(minutes=20), "corrected within minutes"
        else:
            at, label = window + dt.timedelta(hours=14), "corrected next day"
        approved: set[str] = set()
        if i == 3:
            _approve(ctx, "marks.correction.window", row, at, "Заместитель директора по УВР")
            label = "corrected next day with the deputy's written approval"
            approved = {"marks.correction.window"}
        _change(ctx, row, at)
        if at <= window:
            case(
                ctx,
                "marks.correction.window",
                "mark",
                row[M_ID],
                label,
                made_at=at,
                deadline=window,
                near_miss=True,
            )
            continue
        mark_change_cases(ctx, row, lesson, at, label, approved=approved)


@planter("marks.correct_mark.immutable")
def correct_mark(ctx: Context) -> None:
    pairs = _current_marks(ctx, 10)
    for row, lesson in pick(ctx, pairs, 3, "immutable", _mark_key):
        at = ctx.dl.at(lesson.day + dt.timedelta(days=6), dt.time(16, 10))
        if not fits(ctx, at):
            continue
        _change(ctx, row, at)
        mark_change_cases(ctx, row, lesson, at, "mark revised a week later")


@planter("marks.no_backdating")
def no_backdating(ctx: Context) -> None:
    pairs = _current_marks(ctx, 6)
    chosen = pick(ctx, pairs, 5, "backdating", _mark_key)
    for i, (row, lesson) in enumerate(chosen):
        if i < 2:
            at = ctx.dl.at(lesson.day + dt.timedelta(days=3), dt.time(15))
            _change(ctx, row, at)
            mark_change_cases(ctx, row, lesson, at, "mark corrected three days later")
        elif i < 4:
            at = ctx.dl.end_of(lesson.day) + (SECOND if i == 2 else dt.timedelta(days=4))
            row[M_AT] = ctx.iso(at)
            label = (
                "boundary: entered at 00:00:00 the next day"
                if i == 2
                else "entered four days after the lesson"
            )
            case(
                ctx,
                "marks.no_backdating",
                "mark",
                row[M_ID],
                label,
                made_at=at,
                deadline=ctx.dl.end_of(lesson.day),
            )
            mark_entry_cases(ctx, row, lesson, at, label, skip={"marks.no_backdating"})
        else:
            at = ctx.dl.end_of(lesson.day)
            row[M_AT] = ctx.iso(at)
            case(
                ctx,
                "marks.no_backdating",
                "mark",
                row[M_ID],
                "boundary: entered 23:59:59 on the lesson day",
                made_at=at,
                deadline=at,
                near_miss=True,
            )


@planter("marks.edit.max_age")
def edit_max_age(ctx: Context) -> None:
    """Edited 30 days after the lesson (met, last second) and later (violated); absences too."""
    pairs = [p for p in _current_marks(ctx, 45)]
    chosen = pick(ctx, pairs, 4, "max_age", _mark_key)
    for i, (row, lesson) in enumerate(chosen):
        limit = ctx.dl.edit_max_age(lesson.day)
        at = [limit, limit + SECOND, limit + dt.timedelta(days=6), limit - dt.timedelta(days=2)][i]
        if not fits(ctx, at):
            continue
        _change(ctx, row, at)
        label = [
            "boundary: day 30, 23:59:59",
            "boundary: day 31, 00:00:00",
            "edited 36 days after the lesson",
            "edited 28 days after the lesson",
        ][i]
        if at <= limit:
            case(
                ctx,
                "marks.edit.max_age",
                "mark",
                row[M_ID],
                label,
                made_at=at,
                deadline=limit,
                near_miss=True,
            )
        mark_change_cases(ctx, row, lesson, at, label)
    lessons = [
        x
        for x in ctx.lessons
        if ctx.absences_by_lesson.get(x.id) and x.day + dt.timedelta(days=40) < ctx.ends_on
    ]
    for lesson in pick(ctx, lessons, 1, "max_age:absence", lesson_key):
        absence = ctx.absences_by_lesson[lesson.id][0]
        limit = ctx.dl.edit_max_age(lesson.day)
        at = limit + dt.timedelta(days=3)
        # the code the reason already set (or the first one): the late edit must change it
        codes = [e[4] for e in ctx.reason_edits.get(absence[0], []) if e[3] == "code"]
        code = "Б" if (codes[-1] if codes else absence[5]) == "УП" else "УП"
        ctx.b.edit("absence", absence[0], ctx.iso(at), "code", code)
        ctx.b.edit("absence", absence[0], ctx.iso(at), "valid", True)
        case(
            ctx,
            "marks.edit.max_age",
            "absence",
            absence[0],
            "attendance changed 33 days after the lesson",
            made_at=at,
            deadline=limit,
        )


@planter("marks.final.immutable")
def final_immutable(ctx: Context) -> None:
    finals = [f for f in ctx.final_marks if f[0][M_VALUE] not in ("н/а",)]
    if not finals:
        ctx.b.not_planted.append(
            {"rule_id": "marks.final.immutable", "reason": "в окне сценария нет итоговых отметок"}
        )
        return
    for i, (row, _span, _a) in enumerate(
        pick(ctx, finals, 3, "final_immutable", lambda f: ("mark", f[0][M_ID]))
    ):
        entered = parse(ctx, row[M_AT])
        # two days later, so a sync sees the mark before the change
        at = (entered + dt.timedelta(days=2)).replace(hour=16, minute=5, second=0)
        approved: set[str] = set()
        label = "final mark changed two days later"
        if i == 2:
            _approve(ctx, "marks.final.immutable", row, at, "Директор")
            approved = {"marks.final.immutable"}
            label = "final mark changed with the director's written approval"
        _change(ctx, row, at)
        mark_change_cases(ctx, row, None, at, label, approved=approved)


@planter("period.lock")
def period_lock(ctx: Context) -> None:
    """After a period ends: a mark changed in the closed period; one changed at its last second."""
    ended = [
        (pid, span)
        for pid, span in ctx.period_ids
        if ctx.window_start <= span.ends_on and span.ends_on + dt.timedelta(days=3) < ctx.ends_on
    ]
    if not ended:
        ctx.b.not_planted.append(
            {"rule_id": "period.lock", "reason": "в окне сценария не заканчивается ни один период"}
        )
        return
    pid, span = ended[0]
    pairs = [
        (r, x)
        for r, x in _current_marks(ctx, 0)
        if span.starts_on <= x.day <= span.ends_on and span.ends_on - x.day < dt.timedelta(days=12)
    ]
    lock = ctx.dl.end_of(span.ends_on)
    for i, (row, lesson) in enumerate(pick(ctx, pairs, 4, "period_lock", _mark_key)):
        at = [
            lock + SECOND,
            lock + dt.timedelta(days=2, hours=-10),
            lock,
            lock + dt.timedelta(days=1, hours=-12),
        ][i]
        _change(ctx, row, at)
        approved: set[str] = set()
        label = [
            "boundary: first second after the period",
            "changed two days after the period",
            "boundary: last second of the period",
            "changed after the period with the director's order",
        ][i]
        if i == 3:
            _approve(ctx, "period.lock", row, at, "Директор")
            approved = {"period.lock"}
        if at <= lock:
            case(
                ctx,
                "period.lock",
                "mark",
                row[M_ID],
                label,
                made_at=at,
                deadline=lock,
                period_id=pid,
                near_miss=True,
            )
        mark_change_cases(ctx, row, lesson, at, label, approved=approved)


@planter("year.lock.teacher")
def year_lock(ctx: Context) -> None:
    year_marks = [f for f in ctx.final_marks if f[0][M_FINAL] == "year"]
    if not year_marks:
        ctx.b.not_planted.append(
            {
                "rule_id": "year.lock.teacher",
                "reason": "в окне сценария нет годовых отметок (окно не доходит до конца года)",
            }
        )
        return
    last = max(parse(ctx, f[0][M_AT]) for f in year_marks)
    span_end = ctx.year_end
    pairs = [(r, x) for r, x in _current_marks(ctx, 0) if x.day > span_end - dt.timedelta(days=20)]
    for i, (row, lesson) in enumerate(pick(ctx, pairs, 3, "year_lock", _mark_key)):
        at = last + dt.timedelta(days=1 + i, hours=1)
        if not fits(ctx, at):
            continue
        _change(ctx, row, at)
        mark_change_cases(ctx, row, lesson, at, "current mark changed after the year marks")
        if not any(
            c.rule_id == "year.lock.teacher" and c.entity_id == row[M_ID] for c in ctx.b.cases
        ):
            case(
                ctx,
                "year.lock.teacher",
                "mark",
                row[M_ID],
                "current mark changed after the year marks",
                made_at=at,
                condition="правка после выставления годовых отметок",
            )
