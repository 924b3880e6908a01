"""Period results (policy-catalog.md §3): final marks in time, visible, marks density."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, not_, or_, select

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
    max_students_low: int = Field(1, ge=0)
    """Students with no mark or a single mark a group-subject may have in a period."""
    max_share_without_marks: float = Field(1.0, ge=0, le=1)
    max_share_one_mark: float = Field(1.0, ge=0, le=1)
    period_kinds: tuple[str, ...] = ("quarter", "semester", "trimester", "half_year")
    exclude_grades: tuple[int, ...] = ()
    """Grades without marks by regulation (grade 1 at school)."""
    min_peer_median: int = Field(3, ge=0)
    """Judge a group-subject only when its typical student has this many marks so far: a
    student left without marks among marked classmates is the journal's gap, a subject
    marked rarely (or a period just begun) is not."""


@register
class MarksDensity(Rule[DensityParams]):
    id = "marks.density"
    title = "Накопляемость отметок: доля обучающихся без отметок и с одной отметкой за период"
    entity_kind = "teaching_assignment"
    responsible_role = "teacher"
    params_model = DensityParams
    monitoring = True
    clauses = clause_map({"kpgt": "5.2", "mazanka": "3.2.5", "tpt": "4.3"})

    def evaluate(self, ctx: Context, params: DensityParams) -> Outcome:
        """Per teaching assignment and period (so far): students with no marks or one mark.

        Students count when enrolled (studying) in the group at some time in the
        period; a group-subject is judged once its typical student has marks.
        """
        today = ctx.calendar.local_date(ctx.data_as_of)
        ta = ctx.version("teaching_assignment", "md_ta")
        period = ctx.version("period", "md_period")
        enr = ctx.version("enrolment", "md_enr")
        mark = ctx.version("mark", "md_mark")
        group = ctx.version("group", "md_group")
        member = ctx.version("subgroup_member", "md_member")
        until = period.c.f_ends_on
        counts = (
            select(
                mark.c.platform,
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
                    period.c.platform == mark.c.platform,
                    period.c.deployment == mark.c.deployment,
                    mark.c.f_date >= period.c.f_starts_on,
                    mark.c.f_date <= period.c.f_ends_on,
                ),
            )
            .where(current(mark), mark.c.f_final_kind.is_(None))
            .group_by(
                mark.c.platform,
                mark.c.deployment,
                mark.c.f_student_id,
                mark.c.f_subject_id,
                period.c.external_id,
            )
            .subquery("md_counts")
        )
        in_subgroup = (
            select(literal(1))
            .select_from(member)
            .where(
                current(member),
                member.c.platform == ta.c.platform,
                member.c.deployment == ta.c.deployment,
                member.c.f_subgroup_id == ta.c.f_subgroup_id,
                member.c.f_student_id == enr.c.f_student_id,
            )
            .correlate(ta, enr)
            .exists()
        )
        n = func.coalesce(counts.c.n, 0)
        student = enr.c.f_student_id
        query = (
            select(
                ta.c.external_id.label("ta"),
                ta.c.deployment,
                ta.c.f_group_id,
                ta.c.f_teacher_id,
                period.c.external_id.label("period"),
                student.label("student"),
                func.max(n).label("n"),
            )
            .select_from(ta)
            .join(group, ref(group, ta, "f_group_id"))
            .join(
                period,
                and_(
                    current(period),
                    period.c.platform == ta.c.platform,
                    period.c.deployment == ta.c.deployment,
                ),
            )
            .join(
                enr,
                and_(
                    current(enr),
                    enr.c.platform == ta.c.platform,
                    enr.c.deployment == ta.c.deployment,
                    enr.c.f_group_id == ta.c.f_group_id,
                    enr.c.f_status == "studying",
                    enr.c.f_starts_on <= until,
                    or_(enr.c.f_ends_on.is_(None), enr.c.f_ends_on >= period.c.f_starts_on),
                ),
            )
            .outerjoin(
                counts,
                and_(
                    counts.c.platform == ta.c.platform,
                    counts.c.deployment == ta.c.deployment,
                    counts.c.student == student,
                    counts.c.subject == ta.c.f_subject_id,
                    counts.c.period == period.c.external_id,
                ),
            )
            .where(
                current(ta),
                or_(ta.c.f_subgroup_id.is_(None), in_subgroup),
                period.c.f_period_kind.in_(params.period_kinds),
                period.c.f_starts_on <= today,
                or_(group.c.f_grade.is_(None), not_(group.c.f_grade.in_(params.exclude_grades))),
            )
            .group_by(
                ta.c.external_id,
                ta.c.deployment,
                ta.c.f_group_id,
                ta.c.f_teacher_id,
                period.c.external_id,
                student,
            )
        )
        per_assignment: dict[tuple[str, str], list[int]] = {}
        info: dict[tuple[str, str], Any] = {}
        for r in ctx.conn.execute(query).mappings():
            key = (str(r["ta"]), str(r["period"]))
            per_assignment.setdefault(key, []).append(int(r["n"]))
            info[key] = r
        figures: list[Figure] = []
        findings = []
        for key, counts_of in sorted(per_assignment.items()):
            r = info[key]
            ordered = sorted(counts_of)
            median = ordered[len(ordered) // 2]
            if sum(ordered) == 0 or median < params.min_peer_median:
                # Not observed yet, or a subject the journal marks rarely: no figure to judge.
                continue
            students = len(ordered)
            none = sum(1 for c in ordered if c == 0)
            one = sum(1 for c in ordered if c == 1)
            share_none, share_one = none / students, one / students
            breached = (
                none + one > params.max_students_low
                or share_none > params.max_share_without_marks
                or share_one > params.max_share_one_mark
            )
            detail = {
                "students": students,
                "without_marks": none,
                "one_mark": one,
                "median_marks": median,
                "share_without_marks": round(share_none, 4),
                "share_one_mark": round(share_one, 4),
                "teacher": r["f_teacher_id"],
                "group": r["f_group_id"],
            }
            figures.append(
                Figure(
                    "teaching_assignment",
                    key[0],
                    key[1],
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
                        entity_key=key[0],
                        deployment=r["deployment"],
                        period_key=key[1],
                        verdict=Verdict.VIOLATED.value,
                        params=params,
                        message=(
                            f"Накопляемость отметок за период: без отметок {none} из "
                            f"{students}, с одной отметкой {one}"
                        ),
                        person=r["f_teacher_id"],
                        group=r["f_group_id"],
                        evidence=detail,
                    )
                )
        return Outcome(findings, figures, touched=None)
