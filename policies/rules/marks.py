"""Marks (policy-catalog.md §1): deadlines, kinds of work, scale, grade 1."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import and_, case, exists, func, literal, not_, or_, select

from canonical.wording import ru_date
from local_store.schema import version_table
from policies.deadlines import DeadlineSpec
from policies.evidence import Verdict
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register
from policies.rules.common import (
    current,
    entry_findings,
    entry_verdicts,
    in_outage,
    ref,
)
from policies.sqlfunc import epoch, time_seconds


def _mark_joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
    lesson = version_table("lesson").alias("mk_lesson")
    work = version_table("work_kind").alias("mk_work")
    group = version_table("group").alias("mk_group")
    item = version_table("plan_item").alias("mk_item")
    query = query.outerjoin(lesson, ref(lesson, v, "f_lesson_id"))
    query = query.outerjoin(work, ref(work, v, "f_work_kind_id"))
    query = query.outerjoin(item, ref(item, lesson, "f_plan_item_id"))
    group_id = func.coalesce(v.c.f_group_id, lesson.c.f_group_id)
    query = query.outerjoin(
        group,
        and_(
            group.c.external_id == group_id,
            group.c.deployment == v.c.deployment,
            current(group),
        ),
    )
    return query, {"lesson": lesson, "work": work, "group": group, "item": item}


def _day(a: dict[str, Any]) -> Any:
    return func.coalesce(a["v"].c.f_date, a["lesson"].c.f_date)


def _group(a: dict[str, Any]) -> Any:
    return func.coalesce(a["v"].c.f_group_id, a["lesson"].c.f_group_id)


def _person(a: dict[str, Any]) -> Any:
    return func.coalesce(a["v"].c.f_teacher_id, a["lesson"].c.f_teacher_id)


def _is_control(a: dict[str, Any]) -> Any:
    """A control work's mark: its kind of work says so, or the lesson is the КТП's control work."""
    # Neither side may be NULL: a lesson with no plan item and no lesson type would make the
    # comparison unknown, and ``NOT unknown`` drops the mark from every deadline rule.
    return or_(
        func.coalesce(a["work"].c.f_is_control, False) == True,  # noqa: E712
        func.coalesce(a["item"].c.f_work_kind, a["lesson"].c.f_lesson_type, "") == "control",
    )


def _is_external(a: dict[str, Any]) -> Any:
    return func.coalesce(a["work"].c.f_is_external, False) == True  # noqa: E712


def _lesson_start(ctx: Context, a: dict[str, Any]) -> Any:
    """Epoch of the mark's lesson start (NULL without a lesson or a bell time)."""
    days = ctx.due_table(DeadlineSpec(), "mk_start_day")
    midnight = select(days.c.midnight).where(days.c.day == _day(a)).scalar_subquery()
    return midnight + time_seconds(a["lesson"].c.f_starts_at)


class MarksDeadlineParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec()


def _enabled(ctx: Context, rule_id: str) -> bool:
    return ctx.profile.setting(rule_id).enabled


@register
class MarksDeadline(Rule[MarksDeadlineParams]):
    id = "marks.deadline"
    title = "Текущие отметки выставлены в срок"
    entity_kind = "mark"
    params_model = MarksDeadlineParams
    clauses = clause_map(
        {"kpgt": "3.2", "talmenka": "2.6", "mazanka": "3.5.2", "usolye": "3.4", "tpt": "4.6"}
    )

    def evaluate(self, ctx: Context, params: MarksDeadlineParams) -> Outcome:
        skip_control = _enabled(ctx, "marks.control_work.deadline")
        skip_external = _enabled(ctx, "marks.external_work.deadline")
        skip_outage = _enabled(ctx, "marks.after_outage.deadline")

        def where(a: dict[str, Any]) -> Any:
            conditions = [a["v"].c.f_final_kind.is_(None)]
            if skip_control:
                conditions.append(not_(_is_control(a)))
            if skip_external:
                conditions.append(not_(_is_external(a)))
            if skip_outage:
                start = _lesson_start(ctx, a)
                conditions.append(or_(start.is_(None), not_(in_outage(ctx, start))))
            return and_(*conditions)

        rows = entry_verdicts(
            ctx,
            kind="mark",
            spec=params.deadline,
            joins=_mark_joins,
            day=_day,
            group=_group,
            person=_person,
            where=where,
        )
        findings = entry_findings(ctx, self, params, rows, what="Отметка", spec=params.deadline)
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class ControlWorkParams(RuleParams):
    young_max_grade: int = 4
    young: DeadlineSpec = DeadlineSpec(working_days=2)
    older: DeadlineSpec = DeadlineSpec(working_days=5)


@register
class ControlWorkDeadline(Rule[ControlWorkParams]):
    id = "marks.control_work.deadline"
    title = "Отметки за контрольные работы выставлены в срок"
    entity_kind = "mark"
    params_model = ControlWorkParams
    clauses = clause_map({"mazanka": "3.5.11", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: ControlWorkParams) -> Outcome:
        def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
            young = ctx.due_table(params.young, "cw_young")
            older = ctx.due_table(params.older, "cw_older")
            query = query.join(young, young.c.day == _day(a)).join(older, older.c.day == _day(a))
            grade = a["group"].c.f_grade
            d = case(
                (and_(grade.is_not(None), grade <= params.young_max_grade), young.c.due),
                else_=older.c.due,
            )
            return query, d

        rows = entry_verdicts(
            ctx,
            kind="mark",
            spec=params.older,
            joins=_mark_joins,
            day=_day,
            group=_group,
            person=_person,
            where=lambda a: and_(a["v"].c.f_final_kind.is_(None), _is_control(a)),
            deadline_override=deadline,
        )
        findings = entry_findings(ctx, self, params, rows, what="Отметка за контрольную работу")
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class ExternalWorkParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec(working_days=1)


@register
class ExternalWorkDeadline(Rule[ExternalWorkParams]):
    id = "marks.external_work.deadline"
    title = "Отметки за всероссийские и районные работы выставлены в срок"
    entity_kind = "mark"
    params_model = ExternalWorkParams
    clauses = clause_map({"mazanka": "3.5.12"})

    def evaluate(self, ctx: Context, params: ExternalWorkParams) -> Outcome:
        ann = version_table("result_announcement").alias("ext_ann")

        def joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
            query, aliases = _mark_joins(query, v)
            a = {"v": v, **aliases}
            query = query.join(
                ann,
                and_(
                    current(ann),
                    ann.c.f_group_id == _group(a),
                    ann.c.f_subject_id == v.c.f_subject_id,
                    ann.c.f_work_date == _day(a),
                ),
            )
            return query, {**aliases, "ann": ann}

        def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
            table = ctx.due_table(params.deadline, "ext_due")
            return query.join(table, table.c.day == a["ann"].c.f_announced_on), table.c.due

        rows = entry_verdicts(
            ctx,
            kind="mark",
            spec=params.deadline,
            joins=joins,
            day=_day,
            group=_group,
            person=_person,
            where=lambda a: and_(a["v"].c.f_final_kind.is_(None), _is_external(a)),
            deadline_override=deadline,
            extra={"announced_on": lambda a: a["ann"].c.f_announced_on},
        )
        findings = entry_findings(ctx, self, params, rows, what="Отметка за внешнюю работу")
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class AfterOutageParams(RuleParams):
    working_days: int = Field(1, ge=0)
    """Working days after the day the journal works again."""
    at: dt.time | None = None
    """The day's own entry limit on that day (``None``: its end)."""


@register
class AfterOutageDeadline(Rule[AfterOutageParams]):
    id = "marks.after_outage.deadline"
    title = "Пропущенные из-за сбоя записи внесены в срок после восстановления журнала"
    entity_kind = "mark"
    params_model = AfterOutageParams
    clauses = clause_map({"talmenka": "3.2 приказа", "mazanka": "3.5.14"})

    def evaluate(self, ctx: Context, params: AfterOutageParams) -> Outcome:
        shifts = ctx.outage_shifts(always=True)
        if not shifts:
            return Outcome([], touched=ctx.touched_keys("mark"))
        moved = shifts

        def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
            start = _lesson_start(ctx, a)
            a["start"] = start
            d = case(
                *[(and_(start >= s, start <= e), literal(m)) for s, e, m in moved],
                else_=literal(None),
            )
            return query, d

        rows = entry_verdicts(
            ctx,
            kind="mark",
            spec=None,
            joins=_mark_joins,
            day=_day,
            group=_group,
            person=_person,
            where=lambda a: and_(a["v"].c.f_final_kind.is_(None), in_outage(ctx, a["start"])),
            deadline_override=deadline,
        )
        findings = entry_findings(
            ctx, self, params, rows, what="Отметка, пропущенная из-за сбоя журнала"
        )
        return Outcome(findings, touched=ctx.touched_keys("mark"))


def _current_marks(ctx: Context, name: str) -> tuple[Any, Any, dict[str, Any]]:
    m = ctx.version("mark", name)
    query, aliases = _mark_joins(select().select_from(m), m)
    query = ctx.only_touched(query.where(current(m)), m, "mark")
    return m, query, {"v": m, **aliases}


def _simple(
    ctx: Context, rule: Rule[Any], params: RuleParams, query: Any, a: dict[str, Any], message: Any
) -> list[Any]:
    m = a["v"]
    query = query.add_columns(
        m.c.external_id,
        m.c.deployment,
        m.c.f_value,
        _day(a).label("day"),
        _person(a).label("person"),
        _group(a).label("grp"),
        m.c.f_work_kind_name,
    )
    return [
        ctx.finding(
            rule,
            entity_key=r.external_id,
            deployment=r.deployment,
            verdict=Verdict.VIOLATED.value,
            params=params,
            message=message(r),
            person=r.person,
            group=r.grp,
            evidence={"value": r.f_value, "day": str(r.day)},
        )
        for r in ctx.conn.execute(query)
    ]


@register
class WorkTypeRequired(Rule[RuleParams]):
    id = "marks.work_type.required"
    title = "У отметки указан вид работы"
    entity_kind = "mark"
    clauses = clause_map({"kpgt": "3.2", "talmenka": "2.7", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        m, query, a = _current_marks(ctx, "wt_mark")
        query = query.where(
            m.c.f_final_kind.is_(None),
            m.c.f_work_kind_id.is_(None),
            or_(m.c.f_work_kind_name.is_(None), func.trim(m.c.f_work_kind_name) == ""),
        )
        findings = _simple(
            ctx,
            self,
            params,
            query,
            a,
            lambda r: f"У отметки «{r.f_value}» за {ru_date(str(r.day))} не указан вид работы",
        )
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class ScaleParams(RuleParams):
    allowed: tuple[str, ...] = ("2", "3", "4", "5")
    final_also: tuple[str, ...] = ("н/а",)
    """Final (attestation) marks may also say the student was not assessed."""


@register
class MarkScale(Rule[ScaleParams]):
    id = "marks.scale"
    title = "В клетке одна отметка «2», «3», «4» или «5»"
    entity_kind = "mark"
    params_model = ScaleParams
    clauses = clause_map({"kpgt": "3.2"})

    def evaluate(self, ctx: Context, params: ScaleParams) -> Outcome:
        m, query, a = _current_marks(ctx, "sc_mark")
        value = func.trim(m.c.f_value)
        query = query.where(
            not_(value.in_(params.allowed)),
            or_(m.c.f_final_kind.is_(None), not_(value.in_(params.final_also))),
        )
        allowed = ", ".join(f"«{x}»" for x in params.allowed)
        findings = _simple(
            ctx,
            self,
            params,
            query,
            a,
            lambda r: f"Отметка «{r.f_value}» за {ru_date(str(r.day))} вне шкалы ({allowed})",
        )
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class FirstGradeParams(RuleParams):
    grades: tuple[int, ...] = (1,)


@register
class FirstGradeNone(Rule[FirstGradeParams]):
    id = "marks.first_grade.none"
    title = "В 1-х классах отметки и домашние задания не ставятся"
    entity_kind = "mark"
    params_model = FirstGradeParams
    clauses = clause_map({"mazanka": "2.7"})

    def evaluate(self, ctx: Context, params: FirstGradeParams) -> Outcome:
        _m, query, a = _current_marks(ctx, "fg_mark")
        query = query.where(a["group"].c.f_grade.in_(params.grades))
        findings = _simple(
            ctx,
            self,
            params,
            query,
            a,
            lambda r: f"Отметка «{r.f_value}» в 1-м классе за {ru_date(str(r.day))}",
        )
        hw = ctx.version("homework", "fg_hw")
        lesson = version_table("lesson").alias("fg_lesson")
        group = version_table("group").alias("fg_group")
        hq = (
            select(
                hw.c.external_id,
                hw.c.deployment,
                lesson.c.f_date,
                lesson.c.f_teacher_id,
                lesson.c.f_group_id,
            )
            .select_from(hw)
            .join(lesson, ref(lesson, hw, "f_lesson_id"))
            .join(group, ref(group, lesson, "f_group_id"))
            .where(current(hw), group.c.f_grade.in_(params.grades))
        )
        hq = ctx.only_touched(hq, hw, "homework")
        for r in ctx.conn.execute(hq):
            findings.append(
                ctx.finding(
                    self,
                    entity_key=r.external_id,
                    entity_kind="homework",
                    deployment=r.deployment,
                    verdict=Verdict.VIOLATED.value,
                    params=params,
                    message=f"Домашнее задание в 1-м классе за {ru_date(str(r.f_date))}",
                    person=r.f_teacher_id,
                    group=r.f_group_id,
                    evidence={"day": str(r.f_date)},
                )
            )
        return Outcome(findings, touched=ctx.touched_keys_of("mark", "homework"))


__all__ = ["epoch", "exists"]
