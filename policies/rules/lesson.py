"""Lesson records (policy-catalog.md §1): topics, homework, attendance, hours."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, not_, or_, select

from local_store.schema import entity
from policies.deadlines import DeadlineSpec
from policies.evidence import Verdict, join_run_times
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register, run_evidence
from policies.rules.common import (
    current,
    entry_findings,
    entry_verdicts,
    missing_entries,
    ref,
)
from policies.sqlfunc import has_cyrillic, has_latin


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
    from local_store.schema import version_table

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
    from local_store.schema import version_table

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


def _ahead(ctx: Context, rule: Rule[Any], params: AheadParams, homework: bool) -> Outcome:
    """Entries first seen more than N lessons of the same group and subject before their lesson."""
    from local_store.schema import version_table

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
    else:
        lesson = v
    query = ctx.only_touched(query, v, kind)
    query, seen, prev_seen, _, _ = join_run_times(
        query, v.c.first_seen_run_id, v.c.prev_seen_run_id
    )
    # The local day the entry was first seen on; only entries made before their lesson's day
    # can be ahead, which keeps the per-entry count below to a few rows.
    days = ctx.due_table(DeadlineSpec(), "ahead_days")
    query = query.join(days, and_(days.c.midnight <= seen, seen < days.c.midnight + 86400))
    query = query.where(lesson.c.f_date > days.c.day)
    other = lesson_t.alias("ahead_other")
    count = (
        select(func.count())
        .select_from(other)
        .where(
            current(other),
            other.c.platform == lesson.c.platform,
            other.c.deployment == lesson.c.deployment,
            other.c.f_group_id == lesson.c.f_group_id,
            other.c.f_subject_id == lesson.c.f_subject_id,
            other.c.f_date > days.c.day,
            other.c.f_date <= lesson.c.f_date,
        )
        .correlate(lesson, days)
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
        count.label("ahead"),
    ).where(count > params.max_lessons_ahead)
    findings = []
    what = "Домашнее задание" if homework else "Тема урока"
    for r in ctx.conn.execute(query).mappings():
        findings.append(
            ctx.finding(
                rule,
                entity_key=r["external_id"],
                deployment=r["deployment"],
                verdict=Verdict.VIOLATED.value,
                params=params,
                message=(
                    f"{what} на {r['day']} внесено на {r['ahead']} уроков вперёд "
                    f"(допускается не более {params.max_lessons_ahead})"
                ),
                person=r["teacher"],
                group=r["grp"],
                evidence={**run_evidence(r["seen"], r["prev_seen"]), "lessons_ahead": r["ahead"]},
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
                message=f"Тема урока {r.f_date} «{r.f_topic}» не совпадает с темой КТП",
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
                message=f"Тема урока {r.f_date} «{r.f_topic}» не называет работу с номером",
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
                message=f"Тема урока {r.f_date} записана не на русском языке: «{r.f_topic}»",
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
