"""Helpers the planters share: picking victims, moving entries in time, writing truth.

Where bending one entry necessarily breaks another rule of the same profile
(a mark entered after the period ended is late *and* enters a locked period),
``mark_entry_cases`` / ``mark_change_cases`` list every rule that entry breaks,
so the truth stays complete and the policy engine's precision can be measured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from emulators.scenario.builder import Row, TruthCase
from emulators.scenario.catalog import rules_of
from emulators.scenario.deadlines import EIGHT_PM

if TYPE_CHECKING:
    from emulators.scenario.context import Context, LessonInfo

SECOND = dt.timedelta(seconds=1)

# mark row positions (generate.MARK_COLUMNS after id, created_at)
M_ID, M_AT, M_STUDENT, M_SUBJECT, M_GROUP, M_LESSON, M_DATE, M_VALUE = range(8)
M_SCALE, M_NUMERIC, M_WORK_KIND, M_WEIGHT, M_COMMENT, M_FINAL, M_PERIOD, M_TEACHER = range(8, 16)


def has(ctx: Context, rule: str) -> bool:
    return rule in rules_of(ctx.profile.id)


def pick(
    ctx: Context,
    items: Sequence[Any],
    count: int,
    salt: str,
    key: Callable[[Any], tuple[str, str]],
    accept: Callable[[Any], bool] = lambda _x: True,
) -> list[Any]:
    """Up to ``count`` items, deterministic, each claimed so no two planters bend one entry."""
    rng = ctx.rng(f"pick:{salt}")
    order = list(range(len(items)))
    rng.shuffle(order)
    out: list[Any] = []
    for i in order:
        item = items[i]
        kind, ident = key(item)
        if (kind, ident) in ctx.claimed or not accept(item):
            continue
        ctx.claim(kind, ident)
        out.append(item)
        if len(out) >= count:
            break
    return out


def lesson_key(lesson: LessonInfo) -> tuple[str, str]:
    return ("lesson", lesson.id)


def parse(ctx: Context, value: str) -> dt.datetime:
    return ctx.clock.parse(value)


def fits(ctx: Context, moment: dt.datetime) -> bool:
    """A planted entry must happen before the world ends."""
    return moment.date() < ctx.ends_on


def period_end_of(ctx: Context, day: dt.date) -> dt.date | None:
    found = ctx.period_of(day)
    return found[1].ends_on if found else None


def same_period(ctx: Context, day: dt.date, moment: dt.datetime) -> bool:
    end = period_end_of(ctx, day)
    return end is not None and moment.date() <= end


def is_boundary_day(ctx: Context, day: dt.date) -> str | None:
    """A label when ``day`` is a calendar special: moved working Saturday or a Saturday of a six-day week."""
    if day.weekday() == 5 and day in ctx.cal.moved_saturdays:
        return "moved working Saturday"
    if day.weekday() == 5 and ctx.profile.week_days == 6:
        return "six-day week: Saturday"
    return None


def window_label(
    ctx: Context, start: dt.date, end: dt.date, *, school_week: bool = True
) -> str | None:
    """Whether a working-day window (start, end] spans a day off on a weekday or a moved Saturday
    (``school_week``: also a six-day week's Saturday, for deadlines counted in school days)."""
    day = start
    labels: list[str] = []
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day in ctx.cal.days_off:
            labels.append("public holiday inside the window")
        if day.weekday() == 5 and day in ctx.cal.moved_saturdays:
            labels.append("moved working Saturday inside the window")
        if (
            school_week
            and day.weekday() == 5
            and ctx.profile.week_days == 6
            and day not in ctx.cal.days_off
        ):
            labels.append("six-day week: Saturday counts")
    return ", ".join(sorted(set(labels))) or None


def case(
    ctx: Context,
    rule: str,
    kind: str,
    ident: str,
    label: str,
    *,
    made_at: dt.datetime | str | None = None,
    deadline: dt.datetime | None = None,
    condition: str | None = None,
    period_id: str | None = None,
    expected: str = "violated",
    near_miss: bool = False,
    **details: Any,
) -> TruthCase:
    made = ctx.iso(made_at) if isinstance(made_at, dt.datetime) else made_at
    found = TruthCase(
        rule_id=rule,
        entity_kind=kind,
        entity_id=ident,
        case=label,
        expected="met" if near_miss else expected,
        made_at=made,
        deadline=ctx.iso(deadline) if deadline is not None else None,
        condition=condition,
        period_id=period_id,
        details={k: v for k, v in details.items() if v is not None},
    )
    (ctx.b.near_misses if near_miss else ctx.b.cases).append(found)
    return found


def late_times(deadline: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """The standard late entries: one second after the deadline, and two days later."""
    return [
        (deadline + SECOND, f"boundary: one second after {deadline.strftime('%H:%M:%S')}"),
        (deadline + dt.timedelta(days=2, hours=-10), "two days late"),
    ]


def mark_deadline(ctx: Context, lesson: LessonInfo) -> dt.datetime:
    return ctx.dl.marks(lesson.day)


def mark_entry_cases(
    ctx: Context,
    row: Row,
    lesson: LessonInfo | None,
    made: dt.datetime,
    label: str,
    skip: Iterable[str] = (),
) -> None:
    """Every rule a current mark made at ``made`` breaks (besides the ones in ``skip``)."""
    skip = set(skip)
    mark_id = row[M_ID]
    if lesson is None:
        return
    if "marks.deadline" not in skip and has(ctx, "marks.deadline"):
        deadline = mark_deadline(ctx, lesson)
        if made > deadline:
            case(
                ctx,
                "marks.deadline",
                "mark",
                mark_id,
                f"side effect: {label}",
                made_at=made,
                deadline=deadline,
            )
    if "marks.no_backdating" not in skip and has(ctx, "marks.no_backdating"):
        deadline = ctx.dl.end_of(lesson.day)
        if made > deadline:
            case(
                ctx,
                "marks.no_backdating",
                "mark",
                mark_id,
                f"mark entered after the lesson day: {label}",
                made_at=made,
                deadline=deadline,
            )
    if (
        "marks.control_work.deadline" not in skip
        and has(ctx, "marks.control_work.deadline")
        and row[M_WORK_KIND] == "wk-control"
    ):
        deadline = ctx.dl.control_work(lesson.day, lesson.assignment.group.grade)
        if made > deadline:
            case(
                ctx,
                "marks.control_work.deadline",
                "mark",
                mark_id,
                f"side effect: {label}",
                made_at=made,
                deadline=deadline,
            )
    if "period.lock" not in skip and has(ctx, "period.lock"):
        found = ctx.period_of(lesson.day)
        if found is not None and made > ctx.dl.end_of(found[1].ends_on):
            case(
                ctx,
                "period.lock",
                "mark",
                mark_id,
                f"side effect: {label}",
                made_at=made,
                deadline=ctx.dl.end_of(found[1].ends_on),
                period_id=found[0],
            )


def mark_change_cases(
    ctx: Context,
    row: Row,
    lesson: LessonInfo | None,
    made: dt.datetime,
    label: str,
    approved: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> None:
    """Every rule a change of an existing mark at ``made`` breaks; ``approved`` rules are excused."""
    skip = set(skip)
    approved = set(approved)
    mark_id = row[M_ID]
    entered = parse(ctx, row[M_AT])

    def emit(rule: str, case_label: str, **kw: Any) -> None:
        if rule in skip or not has(ctx, rule):
            return
        expected = "approved" if rule in approved else "violated"
        case(ctx, rule, "mark", mark_id, case_label, made_at=made, expected=expected, **kw)

    final = row[M_FINAL] is not None
    if final:
        emit("marks.final.immutable", label, condition="итоговая отметка изменена")
    else:
        window = ctx.dl.correction(entered)
        if made > window:
            emit("marks.correction.window", label, deadline=window)
            if "marks.correction.window" not in approved:
                emit(
                    "marks.correct_mark.immutable",
                    label,
                    condition="выставленная отметка пересмотрена",
                )
        if lesson is not None and has(ctx, "marks.edit.max_age"):
            limit = ctx.dl.edit_max_age(lesson.day)
            if made > limit:
                emit("marks.edit.max_age", label, deadline=limit)
        emit("marks.no_backdating", f"correction: {label}", condition="отметка исправлена")
    day = lesson.day if lesson is not None else dt.date.fromisoformat(row[M_DATE])
    found = ctx.period_of(day)
    if found is not None and made > ctx.dl.end_of(found[1].ends_on):
        emit("period.lock", label, deadline=ctx.dl.end_of(found[1].ends_on), period_id=found[0])
    year_marks = ctx.year_marks_at
    if year_marks is not None and made > year_marks and not final:
        emit("year.lock.teacher", label, condition="правка после выставления годовых отметок")


def eight_pm(ctx: Context, day: dt.date) -> dt.datetime:
    return ctx.dl.at(day, EIGHT_PM)
