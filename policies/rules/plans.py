"""Plans (КТП) and curriculum (policy-catalog.md §4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, not_, select

from canonical.wording import count, ru_date
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
                message=(
                    f"В КТП {count(r.f_total_hours, 'час', 'часа', 'часов')}, по учебному плану "
                    f"{count(r.curriculum, 'час', 'часа', 'часов')}"
                ),
                person=r.f_teacher_id,
                group=r.f_group_id,
                evidence={"plan_hours": r.f_total_hours, "curriculum_hours": r.curriculum},
            )
            for r in ctx.conn.execute(query)
        ]
        return Outcome(findings, touched=None)


class CoverageParams(RuleParams):
    severity: str = "low"
    max_skipped_items: int = Field(2, ge=0)
    """КТП items between the first and the last one taught that no lesson covered."""
    max_idle_school_days: int = Field(7, ge=1)
    """School days without any lesson of the plan up to the journal's horizon."""


@register
class PlanCoverage(Rule[CoverageParams]):
    id = "plan.coverage"
    title = "Учёт пройденного материала: проведено уроков против запланированного"
    entity_kind = "plan"
    params_model = CoverageParams
    monitoring = True
    clauses = clause_map({"kpgt": "5.2", "mazanka": "3.2.5", "usolye": "2.3", "tpt": "4.3"})

    def evaluate(self, ctx: Context, params: CoverageParams) -> Outcome:
        """How far the lessons given lag behind the КТП.

        The plan's items are spread over the school days of the year; by the
        journal's horizon (its latest lesson day) the plan expects that share
        of its items covered, and the last item a lesson of the journal covers
        says how far the teaching got.  The gap is the planned lessons not given.
        """
        plan = ctx.version("plan", "pc_plan")
        item = ctx.version("plan_item", "pc_item")
        lesson = ctx.version("lesson", "pc_lesson")
        year = ctx.version("school_year", "pc_year")
        today = ctx.calendar.local_date(ctx.data_as_of)
        horizon = ctx.conn.execute(
            select(func.max(lesson.c.f_date)).where(current(lesson), lesson.c.f_date <= today)
        ).scalar()
        if horizon is None:
            return Outcome([], [], touched=None)
        items = (
            select(
                item.c.platform,
                item.c.deployment,
                item.c.f_plan_id.label("plan_id"),
                func.count().label("items"),
            )
            .where(current(item))
            .group_by(item.c.platform, item.c.deployment, item.c.f_plan_id)
            .subquery("pc_items")
        )
        covered = item.alias("pc_covered")
        reached_by_plan = (
            select(
                covered.c.platform,
                covered.c.deployment,
                covered.c.f_plan_id.label("plan_id"),
                func.max(covered.c.f_ordinal).label("reached"),
                func.min(covered.c.f_ordinal).label("first_item"),
                func.count(func.distinct(covered.c.f_ordinal)).label("covered"),
                func.max(lesson.c.f_date).label("last_lesson"),
            )
            .select_from(lesson)
            .join(covered, ref(covered, lesson, "f_plan_item_id"))
            .where(current(lesson), lesson.c.f_date <= horizon)
            .group_by(covered.c.platform, covered.c.deployment, covered.c.f_plan_id)
            .subquery("pc_reached")
        )
        reached = reached_by_plan.c.reached
        query = (
            select(
                plan.c.external_id,
                plan.c.deployment,
                plan.c.f_group_id,
                plan.c.f_subject_id,
                plan.c.f_teacher_id,
                year.c.external_id.label("year"),
                year.c.f_starts_on,
                year.c.f_ends_on,
                items.c["items"],
                reached.label("reached"),
                reached_by_plan.c.first_item,
                reached_by_plan.c.covered,
                reached_by_plan.c.last_lesson,
            )
            .select_from(plan)
            .join(year, ref(year, plan, "f_year_id"))
            .join(
                items,
                and_(
                    items.c.platform == plan.c.platform,
                    items.c.deployment == plan.c.deployment,
                    items.c.plan_id == plan.c.external_id,
                ),
            )
            .join(
                reached_by_plan,
                and_(
                    reached_by_plan.c.platform == plan.c.platform,
                    reached_by_plan.c.deployment == plan.c.deployment,
                    reached_by_plan.c.plan_id == plan.c.external_id,
                ),
            )
            .where(current(plan), year.c.f_starts_on <= horizon)
        )
        cal = ctx.calendar
        school_days: dict[tuple[dt.date, dt.date], tuple[int, int]] = {}
        figures: list[Figure] = []
        findings = []
        for r in ctx.conn.execute(query).mappings():
            if r["reached"] is None:
                continue
            span = (r["f_starts_on"], r["f_ends_on"])
            if span not in school_days:
                total = sum(1 for d in cal.days(*span) if cal.is_school_day(d))
                upto = min(horizon, span[1])
                elapsed = sum(1 for d in cal.days(span[0], upto) if cal.is_school_day(d))
                school_days[span] = (total, elapsed)
            total, elapsed = school_days[span]
            expected = int(r["items"]) * elapsed / total if total else 0.0
            behind = expected - int(r["reached"])
            skipped = int(r["reached"]) - int(r["first_item"]) + 1 - int(r["covered"])
            idle = sum(
                1
                for d in cal.days(r["last_lesson"] + dt.timedelta(days=1), horizon)
                if cal.is_school_day(d)
            )
            breached = skipped > params.max_skipped_items or idle > params.max_idle_school_days
            key = str(r["external_id"])
            detail = {
                "skipped_items": skipped,
                "idle_school_days": idle,
                "last_lesson": str(r["last_lesson"]),
                "reached_item": int(r["reached"]),
                "expected_item": round(expected, 1),
                "behind": round(behind, 1),
                "plan_items": int(r["items"]),
                "horizon": horizon.isoformat(),
                "group": r["f_group_id"],
                "subject": r["f_subject_id"],
            }
            ratio = int(r["reached"]) / expected if expected else None
            figures.append(Figure("plan", key, str(r["year"]), ratio, None, breached, detail))
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
                            f"Отставание от КТП: пропущено тем {skipped}, без уроков "
                            f"{count(idle, 'учебный день', 'учебных дня', 'учебных дней')} с {ru_date(str(r['last_lesson']))} по {horizon:%d.%m.%Y} "
                            f"(пройдено {r['reached']} из {expected:.0f} ожидаемых)"
                        ),
                        person=r["f_teacher_id"],
                        group=r["f_group_id"],
                        evidence=detail,
                    )
                )
        return Outcome(findings, figures, touched=None)


__all__ = ["iso"]
