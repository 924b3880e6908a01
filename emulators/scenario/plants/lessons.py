"""Planters for lesson records: topics, homework, attendance, hours, language, plan match."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from emulators.scenario.context import UNSHOWN_ABSENCE_CODES
from emulators.scenario.curriculum import ENGLISH_TOPICS, FOREIGN_LANGUAGE_SUBJECTS
from emulators.scenario.plants.common import (
    SECOND,
    case,
    fits,
    has,
    is_boundary_day,
    lesson_key,
    parse,
    pick,
    same_period,
)
from emulators.scenario.plants.registry import planter

if TYPE_CHECKING:
    from emulators.scenario.context import Context, LessonInfo

LESSON_TOPIC = 9
"""Position of ``topic`` in a lesson row."""
LESSON_HOURS = 10
ITEM_TOPIC = 4
ITEM_KIND = 6
ITEM_NUMBER = 7


def _late_pair(
    ctx: Context, deadline: dt.datetime, day: dt.date, i: int
) -> tuple[dt.datetime, str]:
    if i % 2 == 1:
        late = deadline + dt.timedelta(days=1, hours=-8)
        if fits(ctx, late) and same_period(ctx, day, late):
            return late, "next day"
    return deadline + SECOND, f"boundary: {deadline.strftime('%H:%M:%S')} + 1 s"


def _special_first(
    ctx: Context, lessons: list[LessonInfo], count: int, salt: str
) -> list[LessonInfo]:
    special = [x for x in lessons if is_boundary_day(ctx, x.day)]
    chosen = pick(ctx, special, 2, f"{salt}:special", lesson_key)
    return chosen + pick(ctx, lessons, count - len(chosen), salt, lesson_key)


@planter("lesson.topic.deadline")
def topic_deadline(ctx: Context) -> None:
    lessons = [x for x in ctx.lessons if x.day + dt.timedelta(days=3) < ctx.ends_on]
    chosen = _special_first(ctx, lessons, 7, "topic")
    for i, lesson in enumerate(chosen):
        deadline = ctx.dl.topic(lesson.day)
        special = is_boundary_day(ctx, lesson.day)
        if i == len(chosen) - 1:
            # never entered at all
            ctx.b.edits.remove(lesson.topic_edit)
            case(
                ctx,
                "lesson.topic.deadline",
                "lesson",
                lesson.id,
                "topic never entered",
                deadline=deadline,
            )
            continue
        if i in (2, 5):
            lesson.topic_edit[2] = ctx.iso(deadline)
            label = f"boundary: {deadline.strftime('%H:%M:%S')} sharp"
            case(
                ctx,
                "lesson.topic.deadline",
                "lesson",
                lesson.id,
                f"{special}, {label}" if special else label,
                made_at=deadline,
                deadline=deadline,
                near_miss=True,
            )
            continue
        late, label = _late_pair(ctx, deadline, lesson.day, i)
        lesson.topic_edit[2] = ctx.iso(late)
        case(
            ctx,
            "lesson.topic.deadline",
            "lesson",
            lesson.id,
            f"{special}, {label}" if special else label,
            made_at=late,
            deadline=deadline,
        )
        if ctx.profile.id == "mazanka":
            _period_lock_side(ctx, lesson, late, label)


def _period_lock_side(ctx: Context, lesson: LessonInfo, made: dt.datetime, label: str) -> None:
    found = ctx.period_of(lesson.day)
    if found is not None and made > ctx.dl.end_of(found[1].ends_on):
        case(
            ctx,
            "period.lock",
            "lesson",
            lesson.id,
            f"side effect: {label}",
            made_at=made,
            deadline=ctx.dl.end_of(found[1].ends_on),
            period_id=found[0],
        )


def _ahead(ctx: Context, rule: str, homework: bool) -> None:
    """Entered when the lesson was 7, 6 (violated) or exactly 5 (met) lessons ahead."""
    by_assignment: dict[str, list[LessonInfo]] = {}
    for x in ctx.lessons:
        by_assignment.setdefault(x.assignment.id, []).append(x)
    pool = [
        x
        for x in ctx.lessons
        if (not homework or x.id in ctx.homework_by_lesson)
        and by_assignment[x.assignment.id].index(x) >= 8
    ]
    for ahead, lesson in zip((7, 6, 5, 7), pick(ctx, pool, 4, rule, lesson_key), strict=False):
        series = by_assignment[lesson.assignment.id]
        earlier = series[series.index(lesson) - ahead]
        made = ctx.dl.at(earlier.day, earlier.end) + dt.timedelta(minutes=15)
        if homework:
            row = ctx.homework_by_lesson[lesson.id]
            row[1] = ctx.iso(made)
            kind, ident = "homework", row[0]
        else:
            lesson.topic_edit[2] = ctx.iso(made)
            kind, ident = "lesson", lesson.id
        published = parse(ctx, lesson.row[1])
        if published > made:
            lesson.row[1] = ctx.iso(made - dt.timedelta(days=1))
        case(
            ctx,
            rule,
            kind,
            ident,
            f"entered {ahead} lessons ahead",
            made_at=made,
            condition=f"запись внесена за {ahead} уроков до урока (допустимо не более 5)",
            near_miss=ahead <= 5,
            lessons_ahead=ahead,
            lesson_id=lesson.id,
        )


@planter("lesson.topic.ahead_limit")
def topic_ahead(ctx: Context) -> None:
    _ahead(ctx, "lesson.topic.ahead_limit", homework=False)


@planter("lesson.homework.ahead_limit")
def homework_ahead(ctx: Context) -> None:
    _ahead(ctx, "lesson.homework.ahead_limit", homework=True)


@planter("lesson.homework.deadline")
def homework_deadline(ctx: Context) -> None:
    lessons = [
        x
        for x in ctx.lessons
        if x.id in ctx.homework_by_lesson and x.day + dt.timedelta(days=3) < ctx.ends_on
    ]
    chosen = _special_first(ctx, lessons, 6, "homework")
    for i, lesson in enumerate(chosen):
        row = ctx.homework_by_lesson[lesson.id]
        deadline = ctx.dl.homework(
            lesson.day, ctx.group_last_end[(lesson.assignment.group.id, lesson.day)]
        )
        special = is_boundary_day(ctx, lesson.day)
        if i in (1, 4):
            row[1] = ctx.iso(deadline)
            label = f"boundary: {deadline.strftime('%H:%M:%S')} sharp"
            case(
                ctx,
                "lesson.homework.deadline",
                "homework",
                row[0],
                f"{special}, {label}" if special else label,
                made_at=deadline,
                deadline=deadline,
                near_miss=True,
                lesson_id=lesson.id,
            )
            continue
        late, label = _late_pair(ctx, deadline, lesson.day, i)
        row[1] = ctx.iso(late)
        case(
            ctx,
            "lesson.homework.deadline",
            "homework",
            row[0],
            f"{special}, {label}" if special else label,
            made_at=late,
            deadline=deadline,
            lesson_id=lesson.id,
        )


def _shown_absences(ctx: Context, lesson_id: str) -> list[list[Any]]:
    code = ctx.table("absence").index["code"]
    hidden = UNSHOWN_ABSENCE_CODES.get(ctx.profile.demo_platform, frozenset())
    return [r for r in ctx.absences_by_lesson.get(lesson_id, []) if r[code] not in hidden]


@planter("attendance.deadline")
def attendance_deadline(ctx: Context) -> None:
    lessons = [
        x
        for x in ctx.lessons
        if _shown_absences(ctx, x.id) and x.day + dt.timedelta(days=3) < ctx.ends_on
    ]
    chosen = _special_first(ctx, lessons, 6, "attendance")
    for i, lesson in enumerate(chosen):
        row = _shown_absences(ctx, lesson.id)[0]
        deadline = ctx.dl.attendance(lesson.day)
        special = is_boundary_day(ctx, lesson.day)
        if i in (1, 4):
            row[1] = ctx.iso(deadline)
            label = f"boundary: {deadline.strftime('%H:%M:%S')} sharp"
            made = deadline
            near = True
        else:
            made, label = _late_pair(ctx, deadline, lesson.day, i)
            row[1] = ctx.iso(made)
            near = False
        edits = ctx.reason_edits.get(row[0], [])
        for edit in edits:
            if edit[2] < row[1]:
                edit[2] = ctx.iso(made + dt.timedelta(minutes=10))
        _reason_side_effect(ctx, lesson, row, edits, label)
        case(
            ctx,
            "attendance.deadline",
            "absence",
            row[0],
            f"{special}, {label}" if special else label,
            made_at=made,
            deadline=deadline,
            near_miss=near,
            lesson_id=lesson.id,
        )


REASON_CODES = frozenset({"УП", "Б", "НП"})
"""Codes that carry the absence's reason: an absence entered with one has its reason set
from the moment it appears (an exemption on «Модуль ПОО» is entered as «УП»)."""


def _reason_side_effect(
    ctx: Context, lesson: LessonInfo, row: list[Any], edits: list[list[Any]], label: str
) -> None:
    """A late absence pushes its reason late too: list that where the profile has the rule.

    The reason comes with a later edit, or with the absence itself when it is entered
    under a code that carries one."""
    if not has(ctx, "absence.reason.deadline"):
        return
    columns = ctx.table("absence").index
    if edits:
        document = next((e[4] for e in edits if e[3] == "document_date"), None)
        set_at = parse(ctx, edits[0][2])
    elif row[columns["code"]] in REASON_CODES:
        document, set_at = row[columns["document_date"]], parse(ctx, row[columns["created_at"]])
    else:
        return
    if ctx.profile.id == "talmenka" and document is None:
        return
    deadline = ctx.dl.absence_reason(
        lesson.day, dt.date.fromisoformat(document) if document else None
    )
    if set_at > deadline:
        case(
            ctx,
            "absence.reason.deadline",
            "absence",
            row[columns["id"]],
            f"side effect: {label}",
            made_at=set_at,
            deadline=deadline,
        )


@planter("lesson.topic.matches_plan")
def matches_plan(ctx: Context) -> None:
    lessons = [x for x in ctx.lessons if x.item_kind in ("lesson", "lecture")]
    chosen = pick(ctx, lessons, 5, "matches_plan", lesson_key)
    texts = ["Повторение пройденного материала", "Решение задач", "Урок-игра «Что? Где? Когда?»"]
    for i, lesson in enumerate(chosen):
        planned = lesson.item[ITEM_TOPIC]
        if i == 4:
            lesson.topic_edit[4] = f"  {planned} "
            case(
                ctx,
                "lesson.topic.matches_plan",
                "lesson",
                lesson.id,
                "same topic, extra spaces",
                made_at=lesson.topic_edit[2],
                condition="тема совпадает с КТП с точностью до пробелов",
                near_miss=True,
                plan_item_id=lesson.item[0],
            )
            continue
        if i == 3:
            series = [x for x in lesson.assignment.items if x[ITEM_TOPIC] != planned]
            text = series[len(series) // 2][ITEM_TOPIC] if series else texts[0]
            label = "topic of another plan item"
        else:
            text = texts[i % len(texts)]
            label = "topic not in the plan"
        lesson.topic_edit[4] = text
        case(
            ctx,
            "lesson.topic.matches_plan",
            "lesson",
            lesson.id,
            label,
            made_at=lesson.topic_edit[2],
            condition=f"тема «{text}» не совпадает с КТП «{planned}»",
            plan_item_id=lesson.item[0],
        )


@planter("lesson.topic.names_work")
def names_work(ctx: Context) -> None:
    lessons = [x for x in ctx.lessons if x.item_kind in ("practical", "laboratory", "control")]
    for i, lesson in enumerate(pick(ctx, lessons, 4, "names_work", lesson_key)):
        item = lesson.item
        topic = item[ITEM_TOPIC].split("«", 1)[-1].rstrip("»")
        bare = {
            "practical": f"Практическая работа «{topic}»",
            "laboratory": f"Лабораторная работа «{topic}»",
            "control": f"Контрольная работа по теме «{topic}»",
        }[lesson.item_kind]
        if i == 3:
            bare = topic
        item[ITEM_TOPIC] = bare
        item[ITEM_NUMBER] = None
        lesson.topic_edit[4] = bare
        case(
            ctx,
            "lesson.topic.names_work",
            "lesson",
            lesson.id,
            "work named without its number" if i < 3 else "work not named at all",
            made_at=lesson.topic_edit[2],
            condition=f"тема «{bare}» не называет работу с номером",
            plan_item_id=item[0],
        )


@planter("lesson.language.russian")
def language_russian(ctx: Context) -> None:
    lessons = [
        x
        for x in ctx.lessons
        if x.assignment.subject_name in FOREIGN_LANGUAGE_SUBJECTS
        and x.item_kind in ("lesson", "lecture")
    ]
    chosen = pick(ctx, lessons, 4, "language", lesson_key)
    for i, lesson in enumerate(chosen):
        if i == 3:
            text = "Времена группы Present"
            lesson.item[ITEM_TOPIC] = text
            lesson.topic_edit[4] = text
            case(
                ctx,
                "lesson.language.russian",
                "lesson",
                lesson.id,
                "Russian topic quoting an English term",
                made_at=lesson.topic_edit[2],
                condition="тема на русском языке",
                near_miss=True,
            )
            continue
        text = ENGLISH_TOPICS[i % len(ENGLISH_TOPICS)]
        lesson.item[ITEM_TOPIC] = text
        lesson.topic_edit[4] = text
        case(
            ctx,
            "lesson.language.russian",
            "lesson",
            lesson.id,
            "topic written in English",
            made_at=lesson.topic_edit[2],
            condition=f"тема «{text}» не на русском языке",
        )


@planter("lesson.hours.recorded")
def hours_recorded(ctx: Context) -> None:
    for lesson in pick(ctx, ctx.lessons, 4, "hours", lesson_key):
        lesson.row[LESSON_HOURS] = None
        case(
            ctx,
            "lesson.hours.recorded",
            "lesson",
            lesson.id,
            "lesson without hours",
            made_at=lesson.topic_edit[2],
            condition="у урока не указано количество часов",
        )
