"""Lesson records (policy-catalog.md §1): topics, homework, attendance, hours."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import and_, case, func, literal, not_, or_, select

from canonical.wording import ru_date
from local_store.schema import entity, version_table
from policies.deadlines import DeadlineSpec
from policies.evidence import Verdict, from_epoch, join_run_times
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register, run_evidence
from policies.rules.common import (
    current,
    entry_findings,
    entry_verdicts,
    missing_entries,
    ref,
    same,
)
from policies.sqlfunc import epoch, has_cyrillic, has_latin, time_seconds


class DeadlineParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec()
    report_missing: bool = True
    """Also flag records still empty after a sync observed past the deadline."""


def _filled(column: Any) -> Any:
    return and_(column.is_not(None), func.trim(column) != "")


@register
class LessonTopicDeadline(Rule[DeadlineParams]):
    id = "lesson.topic.deadline"
    title = "Тема урока внесена в срок"
    entity_kind = "lesson"
    params_model = DeadlineParams
    clauses = clause_map(
        {
            "kpgt": "3.2",
            "talmenka": "2.7",
            "mazanka": "3.5.1–3.5.2",
            "usolye": "3.4",
            "tpt": "4.6",
        }
    )

    def evaluate(self, ctx: Context, params: DeadlineParams) -> Outcome:
        rows = entry_verdicts(
            ctx,
            kind="lesson",
            spec=params.deadline,
            condition=lambda t: _filled(t.c.f_topic),
            day=lambda a: a["v"].c.f_date,
            group=lambda a: a["v"].c.f_group_id,
            person=lambda a: a["v"].c.f_teacher_id,
            source_field="topic_entered_at",
            lesson_start=lambda a: a["v"].c.f_starts_at,
        )
        if params.report_missing:
            rows += missing_entries(
                ctx,
                kind="lesson",
                spec=params.deadline,
                day=lambda a: a["v"].c.f_date,
                missing=lambda v: not_(_filled(v.c.f_topic)),
                group=lambda a: a["v"].c.f_group_id,
                person=lambda a: a["v"].c.f_teacher_id,
                lesson_start=lambda a: a["v"].c.f_starts_at,
            )
        findings = entry_findings(ctx, self, params, rows, what="Тема урока", spec=params.deadline)
        return Outcome(findings, touched=ctx.touched_keys("lesson"))


def _homework_lesson(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:

    lesson = version_table("lesson").alias("hw_lesson")
    query = query.join(lesson, ref(lesson, v, "f_lesson_id"))
    return query, {"lesson": lesson}


@register
class LessonHomeworkDeadline(Rule[DeadlineParams]):
    id = "lesson.homework.deadline"
    title = "Домашнее задание внесено в срок"
    entity_kind = "homework"
    params_model = DeadlineParams
    clauses = clause_map(
        {"kpgt": "3.2", "talmenka": "2.8", "mazanka": "3.5.7", "usolye": "3.4", "tpt": "4.6"}
    )

    def evaluate(self, ctx: Context, params: DeadlineParams) -> Outcome:
        rows = entry_verdicts(
            ctx,
            kind="homework",
            spec=params.deadline,
            joins=_homework_lesson,
            day=lambda a: a["lesson"].c.f_date,
            group=lambda a: a["lesson"].c.f_group_id,
            person=lambda a: a["lesson"].c.f_teacher_id,
            lesson_start=lambda a: a["lesson"].c.f_starts_at,
        )
        findings = entry_findings(
            ctx, self, params, rows, what="Домашнее задание", spec=params.deadline
        )
        return Outcome(findings, touched=ctx.touched_keys("homework"))


def _absence_lesson(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:

    lesson = version_table("lesson").alias("abs_lesson")
    query = query.outerjoin(lesson, ref(lesson, v, "f_lesson_id"))
    return query, {"lesson": lesson}


@register
class AttendanceDeadline(Rule[DeadlineParams]):
    id = "attendance.deadline"
    title = "Отсутствующие отмечены в срок"
    entity_kind = "absence"
    params_model = DeadlineParams
    clauses = clause_map(
        {
            "kpgt": "3.2",
            "talmenka": "2.5",
            "mazanka": "3.5.1–3.5.2",
            "usolye": "3.4",
            "tpt": "4.6",
        }
    )

    def evaluate(self, ctx: Context, params: DeadlineParams) -> Outcome:
        rows = entry_verdicts(
            ctx,
            kind="absence",
            spec=params.deadline,
            joins=_absence_lesson,
            day=lambda a: a["v"].c.f_date,
            group=lambda a: a["lesson"].c.f_group_id,
            person=lambda a: a["lesson"].c.f_teacher_id,
            lesson_start=lambda a: a["lesson"].c.f_starts_at,
        )
        findings = entry_findings(
            ctx, self, params, rows, what="Отметка об отсутствии", spec=params.deadline
        )
        return Outcome(findings, touched=ctx.touched_keys("absence"))


class AheadParams(RuleParams):
    max_lessons_ahead: int = Field(5, ge=0)


def _iso(moment: int | None) -> str | None:
    at = from_epoch(moment)
    return None if at is None else at.isoformat()


def _start_s(lesson: Any) -> Any:
    """A lesson's start in seconds after midnight (0 when the platform gives no time)."""
    return func.coalesce(time_seconds(lesson.c.f_starts_at), 0)


SERIES = ("platform", "deployment", "f_group_id", "f_subject_id", "subgroup")
"""The columns of the numbered lessons that make one series (group, subject, subgroup)."""


def _ahead(ctx: Context, rule: Rule[Any], params: AheadParams, homework: bool) -> Outcome:
    """Entries made more than N lessons of the same group and subject before their lesson.

    "At most N lessons ahead" is an earliest allowed moment: the start of the
    (N+1)-th lesson counting back from the entry's own (the lessons of one
    group, subject and subgroup in order).  Made before it is violated; per §8
    with the entry made in (T0, T]: violated when T is before it, possibly
    violated when only T0 is, met otherwise; a platform entry time wins.
    """
    lesson_t = version_table("lesson")
    kind = "homework" if homework else "lesson"
    table = version_table(kind)
    inner = select(func.min(table.c.id)).group_by(table.c.entity_id)
    if not homework:
        inner = inner.where(_filled(table.c.f_topic))
    v = table.alias("ahead_entry")
    ent = entity.alias("ahead_entity")
    query = select().select_from(v).join(ent, ent.c.id == v.c.entity_id)
    query = query.where(v.c.id.in_(inner), ent.c.removed_run_id.is_(None))
    if homework:
        lesson = lesson_t.alias("ahead_lesson")
        query = query.join(lesson, ref(lesson, v, "f_lesson_id"))
        source = v.c.f_entered_at
    else:
        lesson = v
        source = v.c.f_topic_entered_at
    query = ctx.only_touched(query, v, kind)
    query, seen, prev_seen, _, _ = join_run_times(
        query, v.c.first_seen_run_id, v.c.prev_seen_run_id
    )
    src = lesson_t.alias("ahead_src")
    series = (
        src.c.platform,
        src.c.deployment,
        src.c.f_group_id,
        src.c.f_subject_id,
        func.coalesce(src.c.f_subgroup_id, ""),
    )
    ranked = (
        select(
            src.c.platform,
            src.c.deployment,
            src.c.external_id,
            src.c.f_group_id,
            src.c.f_subject_id,
            func.coalesce(src.c.f_subgroup_id, "").label("subgroup"),
            src.c.f_date,
            _start_s(src).label("start_s"),
            func.row_number()
            .over(partition_by=series, order_by=(src.c.f_date, _start_s(src), src.c.external_id))
            .label("position"),
        )
        .where(current(src))
        .subquery("ahead_ranked")
    )
    own = ranked.alias("ahead_own")
    back = ranked.alias("ahead_back")
    days = ctx.due_table(DeadlineSpec(), "ahead_days")
    query = (
        query.join(
            own,
            same(own, lesson, "platform", "deployment", "external_id"),
        )
        .join(
            back,
            and_(
                same(back, own, *SERIES),
                back.c.position == own.c.position - params.max_lessons_ahead,
            ),
        )
        .join(days, days.c.day == back.c.f_date)
    )
    earliest = days.c.midnight + back.c.start_s
    made = epoch(source)
    verdict = case(
        (source.is_not(None) & (made < earliest), literal(Verdict.VIOLATED.value)),
        (source.is_not(None), literal(Verdict.MET.value)),
        (seen < earliest, literal(Verdict.VIOLATED.value)),
        (prev_seen.is_not(None) & (prev_seen < earliest), literal(Verdict.POSSIBLY.value)),
        else_=literal(Verdict.MET.value),
    )
    # how many lessons were still to come when the entry was made (or, lacking the platform's
    # time, at T0 when known, else at T): the figure the deputy reads
    known = func.coalesce(made, prev_seen, seen)
    later = ranked.alias("ahead_later")
    later_days = ctx.due_table(DeadlineSpec(), "ahead_later_days")
    ahead = (
        select(func.count())
        .select_from(later)
        .join(later_days, later_days.c.day == later.c.f_date)
        .where(
            same(later, own, *SERIES),
            later.c.position <= own.c.position,
            later_days.c.midnight + later.c.start_s > known,
        )
        .correlate_except(later, later_days)
        .scalar_subquery()
    )
    query = query.add_columns(
        v.c.external_id,
        v.c.deployment,
        lesson.c.f_date.label("day"),
        lesson.c.f_teacher_id.label("teacher"),
        lesson.c.f_group_id.label("grp"),
        seen.label("seen"),
        prev_seen.label("prev_seen"),
        made.label("made"),
        earliest.label("earliest"),
        verdict.label("verdict"),
        ahead.label("ahead"),
    ).where(verdict != Verdict.MET.value)
    findings = []
    what, entered = ("Домашнее задание", "внесено") if homework else ("Тема урока", "внесена")
    for r in ctx.conn.execute(query).mappings():
        span = f"за {r['ahead']} уроков до урока"
        if r["verdict"] == Verdict.POSSIBLY.value:
            span = f"заранее: до {r['ahead']} уроков до урока"
        findings.append(
            ctx.finding(
                rule,
                entity_key=r["external_id"],
                deployment=r["deployment"],
                verdict=r["verdict"],
                params=params,
                message=(
                    f"{what} на {ru_date(str(r['day']))} {entered} {span} "
                    f"(допускается не более чем на {params.max_lessons_ahead} уроков вперёд)"
                ),
                person=r["teacher"],
                group=r["grp"],
                evidence={
                    **run_evidence(r["seen"], r["prev_seen"]),
                    "earliest_allowed": _iso(r["earliest"]),
                    "source_entered_at": _iso(r["made"]),
                    "lessons_ahead": r["ahead"],
                },
            )
        )
    return Outcome(findings, touched=ctx.touched_keys(kind))


@register
class LessonTopicAheadLimit(Rule[AheadParams]):
    id = "lesson.topic.ahead_limit"
    title = "Темы уроков вносятся не более чем на N уроков вперёд"
    entity_kind = "lesson"
    params_model = AheadParams
    clauses = clause_map({"mazanka": "3.5.4"})

    def evaluate(self, ctx: Context, params: AheadParams) -> Outcome:
        return _ahead(ctx, self, params, homework=False)


@register
class LessonHomeworkAheadLimit(Rule[AheadParams]):
    id = "lesson.homework.ahead_limit"
    title = "Опережающее домашнее задание не более чем на N уроков вперёд"
    entity_kind = "homework"
    params_model = AheadParams
    clauses = clause_map({"mazanka": "3.5.7"})

    def evaluate(self, ctx: Context, params: AheadParams) -> Outcome:
        return _ahead(ctx, self, params, homework=True)


def _norm(column: Any) -> Any:
    return func.lower(func.trim(column))


@register
class LessonTopicMatchesPlan(Rule[RuleParams]):
    id = "lesson.topic.matches_plan"
    title = "Тема урока соответствует КТП"
    entity_kind = "lesson"
    clauses = clause_map({"kpgt": "3.2", "talmenka": "2.7", "usolye": "3.4, 4.7", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        from local_store.schema import version_table

        lesson = ctx.version("lesson", "mp_lesson")
        item = version_table("plan_item").alias("mp_item")
        plan = version_table("plan").alias("mp_plan")
        item2 = version_table("plan_item").alias("mp_item2")
        any_item = (
            select(literal(1))
            .select_from(item2.join(plan, ref(plan, item2, "f_plan_id")))
            .where(
                current(item2),
                plan.c.deployment == lesson.c.deployment,
                plan.c.f_group_id == lesson.c.f_group_id,
                plan.c.f_subject_id == lesson.c.f_subject_id,
                _norm(item2.c.f_topic) == _norm(lesson.c.f_topic),
            )
            .correlate(lesson)
            .exists()
        )
        has_plan = (
            select(literal(1))
            .select_from(plan)
            .where(
                current(plan),
                plan.c.deployment == lesson.c.deployment,
                plan.c.f_group_id == lesson.c.f_group_id,
                plan.c.f_subject_id == lesson.c.f_subject_id,
            )
            .correlate(lesson)
            .exists()
        )
        query = (
            select(
                lesson.c.external_id,
                lesson.c.deployment,
                lesson.c.f_date,
                lesson.c.f_topic,
                lesson.c.f_teacher_id,
                lesson.c.f_group_id,
                item.c.f_topic.label("plan_topic"),
            )
            .select_from(lesson)
            .outerjoin(item, ref(item, lesson, "f_plan_item_id"))
            .where(current(lesson), _filled(lesson.c.f_topic))
            .where(
                or_(
                    and_(item.c.id.is_not(None), _norm(item.c.f_topic) != _norm(lesson.c.f_topic)),
                    and_(lesson.c.f_plan_item_id.is_(None), has_plan, not_(any_item)),
                )
            )
        )
        query = ctx.only_touched(query, lesson, "lesson")
        findings = [
            ctx.finding(
                self,
                entity_key=r.external_id,
                deployment=r.deployment,
                verdict=Verdict.VIOLATED.value,
                params=params,
                message=f"Тема урока {ru_date(str(r.f_date))} «{r.f_topic}» не совпадает с темой КТП",
                person=r.f_teacher_id,
                group=r.f_group_id,
                evidence={"topic": r.f_topic, "plan_topic": r.plan_topic, "day": str(r.f_date)},
            )
            for r in ctx.conn.execute(query)
        ]
        return Outcome(findings, touched=ctx.touched_keys("lesson"))


class NamesWorkParams(RuleParams):
    work_kinds: tuple[str, ...] = ("practical", "laboratory", "control")


@register
class LessonTopicNamesWork(Rule[NamesWorkParams]):
    id = "lesson.topic.names_work"
    title = "Практические, лабораторные и контрольные работы названы с номером"
    entity_kind = "lesson"
    params_model = NamesWorkParams
    clauses = clause_map({"kpgt": "3.2", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: NamesWorkParams) -> Outcome:
        from local_store.schema import version_table

        lesson = ctx.version("lesson", "nw_lesson")
        item = version_table("plan_item").alias("nw_item")
        kind = func.coalesce(item.c.f_work_kind, lesson.c.f_lesson_type)
        query = (
            select(
                lesson.c.external_id,
                lesson.c.deployment,
                lesson.c.f_date,
                lesson.c.f_topic,
                lesson.c.f_teacher_id,
                lesson.c.f_group_id,
                kind.label("work_kind"),
                item.c.f_work_number,
            )
            .select_from(lesson)
            .outerjoin(item, ref(item, lesson, "f_plan_item_id"))
            .where(current(lesson), _filled(lesson.c.f_topic), kind.in_(params.work_kinds))
            .where(not_(lesson.c.f_topic.like("%№%")))
        )
        query = ctx.only_touched(query, lesson, "lesson")
        findings = [
            ctx.finding(
                self,
                entity_key=r.external_id,
                deployment=r.deployment,
                verdict=Verdict.VIOLATED.value,
                params=params,
                message=f"Тема урока {ru_date(str(r.f_date))} «{r.f_topic}» не называет работу с номером",
                person=r.f_teacher_id,
                group=r.f_group_id,
                evidence={"topic": r.f_topic, "work_kind": r.work_kind, "day": str(r.f_date)},
            )
            for r in ctx.conn.execute(query)
        ]
        return Outcome(findings, touched=ctx.touched_keys("lesson"))


@register
class LessonLanguageRussian(Rule[RuleParams]):
    id = "lesson.language.russian"
    title = "Записи ведутся на русском языке"
    entity_kind = "lesson"
    clauses = clause_map({"kpgt": "3.2", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        lesson = ctx.version("lesson", "ru_lesson")
        query = select(
            lesson.c.external_id,
            lesson.c.deployment,
            lesson.c.f_date,
            lesson.c.f_topic,
            lesson.c.f_teacher_id,
            lesson.c.f_group_id,
        ).where(
            current(lesson),
            _filled(lesson.c.f_topic),
            has_latin(lesson.c.f_topic),
            not_(has_cyrillic(lesson.c.f_topic)),
        )
        query = ctx.only_touched(query, lesson, "lesson")
        findings = [
            ctx.finding(
                self,
                entity_key=r.external_id,
                deployment=r.deployment,
                verdict=Verdict.VIOLATED.value,
                params=params,
                message=f"Тема урока {ru_date(str(r.f_date))} записана не на русском языке: «{r.f_topic}»",
                person=r.f_teacher_id,
                group=r.f_group_id,
                evidence={"topic": r.f_topic, "day": str(r.f_date)},
            )
            for r in ctx.conn.execute(query)
        ]
        return Outcome(findings, touched=ctx.touched_keys("lesson"))


@register
class LessonHoursRecorded(Rule[DeadlineParams]):
    id = "lesson.hours.recorded"
    title = "Количество часов занятия указано"
    entity_kind = "lesson"
    params_model = DeadlineParams
    clauses = clause_map({"usolye": "4.7"})

    def evaluate(self, ctx: Context, params: DeadlineParams) -> Outcome:
        rows = missing_entries(
            ctx,
            kind="lesson",
            spec=params.deadline,
            day=lambda a: a["v"].c.f_date,
            missing=lambda v: or_(v.c.f_hours.is_(None), v.c.f_hours <= 0),
            group=lambda a: a["v"].c.f_group_id,
            person=lambda a: a["v"].c.f_teacher_id,
        )
        findings = entry_findings(ctx, self, params, rows, what="Количество часов занятия")
        return Outcome(findings, touched=ctx.touched_keys("lesson"))
