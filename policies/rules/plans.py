"""Plans (КТП) and curriculum (policy-catalog.md §4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, not_, select

from local_store.schema import sync_run, version_table
from local_store.violations import Figure
from policies.evidence import Verdict
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, iso, register
from policies.rules.common import EntryRow, current, entry_findings, entry_verdicts, ref
from policies.sqlfunc import epoch


class PlanDeadlineParams(RuleParams):
    days_before_year: int = Field(5, ge=0)
    """Due by the end of the day this many calendar days before the school year starts."""


def _year_start(a: dict[str, Any]) -> Any:
    return a["year"].c.f_starts_on


@register
class PlanDeadline(Rule[PlanDeadlineParams]):
    id = "plan.deadline"
    title = "Рабочая программа и КТП внесены в срок"
    entity_kind = "plan"
    params_model = PlanDeadlineParams
    clauses = clause_map({"kpgt": "3.2", "mazanka": "3.5.9"})

    def evaluate(self, ctx: Context, params: PlanDeadlineParams) -> Outcome:
        cal = ctx.calendar

        def due(day: dt.date) -> dt.datetime:
            return cal.end_of_day(day - dt.timedelta(days=params.days_before_year))

        table = ctx.day_function_table("plan_due", f"plan-{params.days_before_year}", due)

        def joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
            year = version_table("school_year").alias("pd_year")
            return query.join(year, ref(year, v, "f_year_id")), {"year": year}

        def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
            return query.join(table, table.c.day == _year_start(a)), table.c.due

        rows = entry_verdicts(
            ctx,
            kind="plan",
            spec=None,
            joins=joins,
            day=_year_start,
            group=lambda a: a["v"].c.f_group_id,
            person=lambda a: a["v"].c.f_teacher_id,
            deadline_override=deadline,
        )
        findings = entry_findings(ctx, self, params, rows, what="КТП")
        findings += entry_findings(
            ctx,
            self,
            params,
            self._missing(ctx, table),
            what="КТП по предмету",
            entity_kind="teaching_assignment",
        )
        return Outcome(findings, touched=None)

    def _missing(self, ctx: Context, table: Any) -> list[EntryRow]:
        """Teaching assignments still without a plan after a sync observed past the deadline."""
        ta = ctx.version("teaching_assignment", "pm_ta")
        plan = ctx.version("plan", "pm_plan")
        group = ctx.version("group", "pm_group")
        year = ctx.version("school_year", "pm_year")
        last = sync_run.alias("pm_last")
        has_plan = (
            select(literal(1))
            .select_from(plan)
            .where(
                current(plan),
                plan.c.deployment == ta.c.deployment,
                plan.c.f_group_id == ta.c.f_group_id,
                plan.c.f_subject_id == ta.c.f_subject_id,
            )
            .correlate(ta)
            .exists()
        )
        seen = epoch(last.c.observed_at)
        query = (
            select(
                ta.c.external_id,
                ta.c.deployment,
                ta.c.f_teacher_id,
                ta.c.f_group_id,
                year.c.f_starts_on,
                table.c.due,
                seen.label("seen"),
            )
            .select_from(ta)
            .join(group, ref(group, ta, "f_group_id"))
            .join(year, ref(year, group, "f_year_id"))
            .join(table, table.c.day == year.c.f_starts_on)
            .join(last, last.c.id == ta.c.last_seen_run_id)
            .where(current(ta), not_(has_plan), seen >= table.c.due)
        )
        return [
            EntryRow(
                key=r.external_id,
                deployment=r.deployment,
                verdict=Verdict.VIOLATED.value,
                deadline=int(r.due),
                seen=r.seen,
                prev_seen=None,
                source=None,
                person=r.f_teacher_id,
                group=r.f_group_id,
                day=r.f_starts_on,
                extra={"missing": True},
            )
            for r in ctx.conn.execute(query)
        ]


@register
class PlanHoursMatchCurriculum(Rule[RuleParams]):
    id = "plan.hours.match_curriculum"
    title = "Количество часов в КТП соответствует учебному плану"
    entity_kind = "plan"
    clauses = clause_map({"mazanka": "3.5.9"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        plan = ctx.version("plan", "ph_plan")
        ta = version_table("teaching_assignment").alias("ph_ta")
        query = (
            select(
                plan.c.external_id,
                plan.c.deployment,
                plan.c.f_total_hours,
                plan.c.f_teacher_id,
                plan.c.f_group_id,
                func.max(ta.c.f_curriculum_hours).label("curriculum"),
            )
            .select_from(plan)
            .join(
                ta,
                and_(
                    current(ta),
                    ta.c.deployment == plan.c.deployment,
                    ta.c.f_group_id == plan.c.f_group_id,
                    ta.c.f_subject_id == plan.c.f_subject_id,
                    ta.c.f_curriculum_hours.is_not(None),
                ),
            )
            .where(current(plan))
            .group_by(
                plan.c.external_id,
                plan.c.deployment,
                plan.c.f_total_hours,
                plan.c.f_teacher_id,
                plan.c.f_group_id,
            )
            .having(func.max(ta.c.f_curriculum_hours) != plan.c.f_total_hours)
        )
        findings = [
            ctx.finding(
                self,
                entity_key=r.external_id,
                deployment=r.deployment,
                verdict=Verdict.VIOLATED.value,
                params=params,
                message=(f"В КТП {r.f_total_hours:g} ч, по учебному плану {r.curriculum:g} ч"),
                person=r.f_teacher_id,
                group=r.f_group_id,
                evidence={"plan_hours": r.f_total_hours, "curriculum_hours": r.curriculum},
            )
            for r in ctx.conn.execute(query)
        ]
        return Outcome(findings, touched=None)


class CoverageParams(RuleParams):
    severity: str = "low"
    min_ratio: float = Field(0.9, ge=0)
    """Lessons given ÷ lessons the plan expects by now (its hours spread over the year)."""
    hours_per_lesson: float = 1.0


@register
class PlanCoverage(Rule[CoverageParams]):
    id = "plan.coverage"
    title = "Учёт пройденного материала: проведено уроков против запланированного"
    entity_kind = "plan"
    params_model = CoverageParams
    monitoring = True
    clauses = clause_map({"kpgt": "5.2", "mazanka": "3.2.5", "usolye": "2.3", "tpt": "4.3"})

    def evaluate(self, ctx: Context, params: CoverageParams) -> Outcome:
        plan = ctx.version("plan", "pc_plan")
        year = version_table("school_year").alias("pc_year")
        lesson = version_table("lesson").alias("pc_lesson")
        today = ctx.calendar.local_date(ctx.data_as_of)
        given = (
            select(
                func.coalesce(func.sum(func.coalesce(lesson.c.f_hours, params.hours_per_lesson)), 0)
            )
            .where(
                current(lesson),
                lesson.c.deployment == plan.c.deployment,
                lesson.c.f_group_id == plan.c.f_group_id,
                lesson.c.f_subject_id == plan.c.f_subject_id,
                lesson.c.f_date <= today,
            )
            .correlate(plan)
            .scalar_subquery()
        )
        query = (
            select(
                plan.c.external_id,
                plan.c.deployment,
                plan.c.f_group_id,
                plan.c.f_subject_id,
                plan.c.f_teacher_id,
                plan.c.f_total_hours,
                year.c.external_id.label("year"),
                year.c.f_starts_on,
                year.c.f_ends_on,
                given.label("given"),
            )
            .select_from(plan)
            .join(year, ref(year, plan, "f_year_id"))
            .where(current(plan), year.c.f_starts_on <= today)
        )
        figures: list[Figure] = []
        findings = []
        for r in ctx.conn.execute(query).mappings():
            start, end = r["f_starts_on"], r["f_ends_on"]
            upto = min(today, end)
            total = sum(1 for d in ctx.calendar.days(start, end) if ctx.calendar.is_school_day(d))
            elapsed = sum(
                1 for d in ctx.calendar.days(start, upto) if ctx.calendar.is_school_day(d)
            )
            expected = float(r["f_total_hours"] or 0) * (elapsed / total if total else 0)
            ratio = float(r["given"]) / expected if expected > 0 else None
            breached = ratio is not None and ratio < params.min_ratio
            key = str(r["external_id"])
            detail = {
                "given_hours": float(r["given"]),
                "expected_hours": round(expected, 2),
                "plan_hours": r["f_total_hours"],
                "as_of": today.isoformat(),
                "group": r["f_group_id"],
                "subject": r["f_subject_id"],
            }
            figures.append(
                Figure("plan", key, str(r["year"]), ratio, params.min_ratio, breached, detail)
            )
            if breached:
                findings.append(
                    ctx.finding(
                        self,
                        entity_key=key,
                        deployment=r["deployment"],
                        period_key=str(r["year"]),
                        verdict=Verdict.VIOLATED.value,
                        params=params,
                        message=(
                            f"Проведено {float(r['given']):g} ч из {expected:.0f} ч, "
                            f"ожидаемых по КТП на {today:%d.%m.%Y}"
                        ),
                        person=r["f_teacher_id"],
                        group=r["f_group_id"],
                        evidence=detail,
                    )
                )
        return Outcome(findings, figures, touched=None)


__all__ = ["iso"]
