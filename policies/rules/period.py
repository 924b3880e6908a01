"""Period results (policy-catalog.md §3): final marks in time, visible, marks density."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import and_, case, func, literal, or_, select

from local_store.schema import version_table
from local_store.violations import Figure
from policies.deadlines import DeadlineSpec
from policies.evidence import Verdict
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register
from policies.rules.common import current, entry_findings, entry_verdicts, ref


class FinalMarksParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec()
    """Counted from the last day of the period."""
    final_kinds: tuple[str, ...] = ("period", "attestation", "year", "exam")


def _final_rows(ctx: Context, params: FinalMarksParams) -> list[Any]:
    def joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
        period = version_table("period").alias("fm_period")
        return query.join(period, ref(period, v, "f_period_id")), {"period": period}

    def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
        table = ctx.due_table(params.deadline, "fm_due")
        return query.join(table, table.c.day == a["period"].c.f_ends_on), table.c.due

    return entry_verdicts(
        ctx,
        kind="mark",
        spec=params.deadline,
        joins=joins,
        day=lambda a: a["period"].c.f_ends_on,
        group=lambda a: a["v"].c.f_group_id,
        person=lambda a: a["v"].c.f_teacher_id,
        where=lambda a: a["v"].c.f_final_kind.in_(params.final_kinds),
        deadline_override=deadline,
    )


@register
class FinalMarksDeadline(Rule[FinalMarksParams]):
    id = "final_marks.deadline"
    title = "Итоговые отметки выставлены в срок"
    entity_kind = "mark"
    params_model = FinalMarksParams
    clauses = clause_map({"kpgt": "3.2", "talmenka": "2.6", "mazanka": "3.5.8", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: FinalMarksParams) -> Outcome:
        rows = _final_rows(ctx, params)
        findings = entry_findings(ctx, self, params, rows, what="Итоговая отметка (конец периода)")
        return Outcome(findings, touched=ctx.touched_keys("mark"))


@register
class FinalMarksVisible(Rule[FinalMarksParams]):
    id = "final_marks.visible.deadline"
    title = "Результаты аттестации доступны обучающимся и родителям в срок"
    entity_kind = "mark"
    params_model = FinalMarksParams
    clauses = clause_map({"usolye": "7.3"})

    def evaluate(self, ctx: Context, params: FinalMarksParams) -> Outcome:
        rows = _final_rows(ctx, params)
        findings = entry_findings(
            ctx, self, params, rows, what="Результат аттестации (конец периода)"
        )
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class DensityParams(RuleParams):
    severity: str = "low"
    max_share_without_marks: float = Field(0.0, ge=0, le=1)
    max_share_one_mark: float = Field(0.2, ge=0, le=1)
    period_kinds: tuple[str, ...] = ("quarter", "semester", "trimester", "half_year")


@register
class MarksDensity(Rule[DensityParams]):
    id = "marks.density"
    title = "Накопляемость отметок: доля обучающихся без отметок и с одной отметкой за период"
    entity_kind = "group_subject"
    responsible_role = "teacher"
    params_model = DensityParams
    monitoring = True
    clauses = clause_map({"kpgt": "5.2", "mazanka": "3.2.5", "tpt": "4.3"})

    def evaluate(self, ctx: Context, params: DensityParams) -> Outcome:
        ta = ctx.version("teaching_assignment", "md_ta")
        period = ctx.version("period", "md_period")
        enr = ctx.version("enrolment", "md_enr")
        mark = ctx.version("mark", "md_mark")
        counts = (
            select(
                mark.c.deployment,
                mark.c.f_student_id.label("student"),
                mark.c.f_subject_id.label("subject"),
                period.c.external_id.label("period"),
                func.count().label("n"),
            )
            .select_from(mark)
            .join(
                period,
                and_(
                    current(period),
                    period.c.deployment == mark.c.deployment,
                    mark.c.f_date >= period.c.f_starts_on,
                    mark.c.f_date <= period.c.f_ends_on,
                ),
            )
            .where(current(mark), mark.c.f_final_kind.is_(None))
            .group_by(
                mark.c.deployment, mark.c.f_student_id, mark.c.f_subject_id, period.c.external_id
            )
            .subquery("md_counts")
        )
        n = func.coalesce(counts.c.n, 0)
        query = (
            select(
                ta.c.deployment,
                ta.c.f_group_id,
                ta.c.f_subject_id,
                ta.c.f_teacher_id,
                period.c.external_id.label("period"),
                func.count(func.distinct(enr.c.f_student_id)).label("students"),
                func.count(func.distinct(case((n == 0, enr.c.f_student_id)))).label("none"),
                func.count(func.distinct(case((n == 1, enr.c.f_student_id)))).label("one"),
            )
            .select_from(ta)
            .join(period, and_(current(period), period.c.deployment == ta.c.deployment))
            .join(
                enr,
                and_(
                    current(enr),
                    enr.c.deployment == ta.c.deployment,
                    enr.c.f_group_id == ta.c.f_group_id,
                    enr.c.f_starts_on <= period.c.f_starts_on,
                    or_(enr.c.f_ends_on.is_(None), enr.c.f_ends_on >= period.c.f_ends_on),
                ),
            )
            .outerjoin(
                counts,
                and_(
                    counts.c.deployment == ta.c.deployment,
                    counts.c.student == enr.c.f_student_id,
                    counts.c.subject == ta.c.f_subject_id,
                    counts.c.period == period.c.external_id,
                ),
            )
            .where(
                current(ta),
                ta.c.f_subgroup_id.is_(None),
                period.c.f_period_kind.in_(params.period_kinds),
                period.c.f_ends_on < ctx.calendar.local_date(ctx.data_as_of),
            )
            .group_by(
                ta.c.deployment,
                ta.c.f_group_id,
                ta.c.f_subject_id,
                ta.c.f_teacher_id,
                period.c.external_id,
            )
        )
        figures: list[Figure] = []
        findings = []
        for r in ctx.conn.execute(query).mappings():
            students = int(r["students"]) or 1
            share_none = int(r["none"]) / students
            share_one = int(r["one"]) / students
            breached = (
                share_none > params.max_share_without_marks or share_one > params.max_share_one_mark
            )
            key = f"{r['f_group_id']}:{r['f_subject_id']}"
            detail = {
                "students": int(r["students"]),
                "without_marks": int(r["none"]),
                "one_mark": int(r["one"]),
                "share_without_marks": round(share_none, 4),
                "share_one_mark": round(share_one, 4),
                "teacher": r["f_teacher_id"],
            }
            figures.append(
                Figure(
                    "group_subject",
                    key,
                    str(r["period"]),
                    share_none + share_one,
                    params.max_share_without_marks + params.max_share_one_mark,
                    breached,
                    detail,
                )
            )
            if breached:
                findings.append(
                    ctx.finding(
                        self,
                        entity_key=key,
                        deployment=r["deployment"],
                        period_key=str(r["period"]),
                        verdict=Verdict.VIOLATED.value,
                        params=params,
                        message=(
                            f"Накопляемость отметок за период: без отметок {r['none']} из "
                            f"{r['students']}, с одной отметкой {r['one']}"
                        ),
                        person=r["f_teacher_id"],
                        group=r["f_group_id"],
                        evidence=detail,
                    )
                )
        return Outcome(findings, figures, touched=None)


__all__ = ["literal"]
