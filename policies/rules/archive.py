"""Archive and reports (policy-catalog.md §7): what Sverka itself must produce in time.

A print or a report is a job the scheduler records as a run (``sync_run.job``);
the rule checks that a successful run of the job happened in each window that
ended before the data's moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import and_, func, or_, select

from local_store.schema import sync_run, version_table
from local_store.violations import Figure
from policies.evidence import Verdict
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, iso, register
from policies.rules.common import current


class PrintParams(RuleParams):
    job: str
    schedule: Literal["yearly", "after_period", "before_vacation"] = "yearly"
    month_day: str = "07-10"
    """``yearly``: due by the end of this day (MM-DD)."""
    days: int = Field(0, ge=0)
    """``after_period``: working days after the period's last day."""


def _deadlines(ctx: Context, params: PrintParams) -> list[tuple[str, dt.datetime]]:
    cal = ctx.calendar
    out: list[tuple[str, dt.datetime]] = []
    if params.schedule == "yearly":
        year = version_table("school_year")
        month, day = (int(x) for x in params.month_day.split("-"))
        for (ends_on,) in ctx.conn.execute(select(year.c.f_ends_on).where(current(year))):
            due_day = dt.date(ends_on.year, month, day)
            out.append((due_day.isoformat(), cal.end_of_day(due_day)))
    elif params.schedule == "after_period":
        period = version_table("period")
        for (ends_on,) in ctx.conn.execute(
            select(period.c.f_ends_on)
            .distinct()
            .where(current(period), period.c.f_period_kind != "year")
        ):
            out.append(
                (ends_on.isoformat(), cal.end_of_day(cal.add_working_days(ends_on, params.days)))
            )
    else:
        for vacation in cal.vacations:
            before = vacation.starts_on - dt.timedelta(days=1)
            out.append((vacation.starts_on.isoformat(), cal.end_of_day(before)))
    return sorted(set(out), key=lambda x: x[1])


def _print_rule(ctx: Context, rule: Rule[Any], params: PrintParams, what: str) -> Outcome:
    runs = [
        at
        for (at,) in ctx.conn.execute(
            select(sync_run.c.observed_at).where(
                sync_run.c.job == params.job, sync_run.c.status == "succeeded"
            )
        )
    ]
    findings = []
    previous: dt.datetime | None = None
    for key, deadline in _deadlines(ctx, params):
        if deadline > ctx.data_as_of:
            break
        done = [at for at in runs if at <= deadline and (previous is None or at > previous)]
        previous = deadline
        if done:
            continue
        findings.append(
            ctx.finding(
                rule,
                entity_key=params.job,
                entity_kind="report",
                period_key=key,
                verdict=Verdict.VIOLATED.value,
                params=params,
                message=f"{what} не сформирована к {deadline.astimezone(ctx.calendar.zone):%d.%m.%Y %H:%M}",
                deadline=deadline,
                evidence={
                    "job": params.job,
                    "runs": [iso(a) for a in runs if a <= ctx.data_as_of][-3:],
                },
            )
        )
    return Outcome(findings, touched=None)


@register
class ArchiveJournalPrint(Rule[PrintParams]):
    id = "archive.journal.print"
    title = "Электронный журнал выведен на печать для архива"
    entity_kind = "report"
    responsible_role = "administrator"
    params_model = PrintParams
    clauses = clause_map({"kpgt": "8: 6.1", "mazanka": "2.8.5", "tpt": "4.8, 7.1"})

    def params(self, setting: Any) -> PrintParams:
        return PrintParams.model_validate({"job": "report.journal_print", **dict(setting.params)})

    def evaluate(self, ctx: Context, params: PrintParams) -> Outcome:
        return _print_rule(ctx, self, params, "Печатная копия журнала")


@register
class ArchiveStatementsPrint(Rule[PrintParams]):
    id = "archive.statements.print"
    title = "Сводные ведомости успеваемости выведены на печать"
    entity_kind = "report"
    responsible_role = "administrator"
    params_model = PrintParams
    clauses = clause_map({"kpgt": "6.2–6.3", "tpt": "4.8"})

    def params(self, setting: Any) -> PrintParams:
        return PrintParams.model_validate(
            {"job": "report.statements_print", "month_day": "06-30", **dict(setting.params)}
        )

    def evaluate(self, ctx: Context, params: PrintParams) -> Outcome:
        return _print_rule(ctx, self, params, "Сводная ведомость успеваемости")


class ActivityParams(RuleParams):
    severity: str = "low"
    min_entries: int = Field(1, ge=0)
    """Entries a teacher with lessons that week is expected to make at least."""
    weeks: int = Field(8, ge=1)
    """How many finished weeks back to compute."""


@register
class ActivityWeekly(Rule[ActivityParams]):
    id = "report.activity.weekly"
    title = "Еженедельная активность пользователей в журнале"
    entity_kind = "teacher"
    responsible_role = "deputy"
    params_model = ActivityParams
    monitoring = True
    clauses = clause_map({"kpgt": "7.1", "mazanka": "3.2.5"})

    def evaluate(self, ctx: Context, params: ActivityParams) -> Outcome:
        cal = ctx.calendar
        today = cal.local_date(ctx.data_as_of)
        monday = today - dt.timedelta(days=today.weekday())
        lesson = version_table("lesson")
        mark = version_table("mark")
        run = sync_run.alias("aw_run")
        figures: list[Figure] = []
        findings = []
        for back in range(params.weeks, 0, -1):
            start = monday - dt.timedelta(days=7 * back)
            end = start + dt.timedelta(days=6)
            t0, t1 = cal.at(start, dt.time(0)), cal.end_of_day(end)
            teachers: dict[str, int] = {
                str(t): int(n)
                for t, n in ctx.conn.execute(
                    select(lesson.c.f_teacher_id, func.count())
                    .where(
                        current(lesson),
                        lesson.c.f_date >= start,
                        lesson.c.f_date <= end,
                        lesson.c.f_teacher_id.is_not(None),
                    )
                    .group_by(lesson.c.f_teacher_id)
                )
            }
            if not teachers:
                continue
            entries: dict[str, int] = {}
            for table, teacher in ((lesson, lesson.c.f_teacher_id), (mark, mark.c.f_teacher_id)):
                for t, n in ctx.conn.execute(
                    select(teacher, func.count())
                    .select_from(table.join(run, run.c.id == table.c.first_seen_run_id))
                    .where(run.c.observed_at > t0, run.c.observed_at <= t1, teacher.is_not(None))
                    .group_by(teacher)
                ):
                    entries[t] = entries.get(t, 0) + int(n)
            week = start.isoformat()
            for teacher_id, lessons in teachers.items():
                count = entries.get(teacher_id, 0)
                breached = count < params.min_entries
                detail = {"lessons": int(lessons), "entries": count, "week": week}
                figures.append(
                    Figure(
                        "teacher",
                        teacher_id,
                        week,
                        float(count),
                        float(params.min_entries),
                        breached,
                        detail,
                    )
                )
                if breached:
                    findings.append(
                        ctx.finding(
                            self,
                            entity_key=teacher_id,
                            entity_kind="teacher",
                            period_key=week,
                            verdict=Verdict.VIOLATED.value,
                            params=params,
                            message=f"За неделю с {start:%d.%m.%Y}: {lessons} уроков, записей в журнале {count}",
                            person=teacher_id,
                            evidence=detail,
                        )
                    )
        return Outcome(findings, figures, touched=None)


__all__ = ["and_", "or_"]
