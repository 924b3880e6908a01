"""Corrections and locks (policy-catalog.md §2), detected from the observation history.

An edit is a version whose predecessor (the version the same run superseded)
held another value.  It was made between the last run that saw the old value
(T0, the new version's ``prev_seen_run_id``) and the run that first saw the
new one (T), so the §8 test applies to edits exactly as to entries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, or_, select

from canonical.wording import ru_date
from local_store.schema import entity, sync_run, version_table
from policies.deadlines import DeadlineSpec
from policies.evidence import Verdict, join_run_times, verdict_sql
from policies.rule import (
    Context,
    Outcome,
    Rule,
    RuleParams,
    clause_map,
    iso,
    register,
    run_evidence,
)
from policies.rules.common import current, entry_findings, entry_verdicts, ref
from policies.sqlfunc import epoch


def edits(
    ctx: Context, kind: str, fields: tuple[str, ...] = ("value",), name: str = "ed"
) -> tuple[Any, dict[str, Any]]:
    """Pairs (old version, new version) of ``kind`` where any of ``fields`` changed."""
    new = version_table(kind).alias(f"{name}_new")
    old = version_table(kind).alias(f"{name}_old")
    ent = entity.alias(f"{name}_entity")
    changed = or_(
        *[
            or_(
                old.c[f"f_{f}"] != new.c[f"f_{f}"],
                and_(old.c[f"f_{f}"].is_(None), new.c[f"f_{f}"].is_not(None)),
                and_(old.c[f"f_{f}"].is_not(None), new.c[f"f_{f}"].is_(None)),
            )
            for f in fields
        ]
    )
    query = (
        select()
        .select_from(new)
        .join(
            old,
            and_(
                old.c.entity_id == new.c.entity_id,
                old.c.superseded_run_id == new.c.first_seen_run_id,
            ),
        )
        .join(ent, ent.c.id == new.c.entity_id)
        .where(changed, ent.c.removed_run_id.is_(None))
    )
    query = ctx.only_touched(query, new, kind)
    query, seen, prev_seen, _, _ = join_run_times(
        query, new.c.first_seen_run_id, new.c.prev_seen_run_id, name
    )
    source: Any = None
    if "f_entered_at" in new.c:
        # The platform's timestamp counts for the edit only when the edit changed it.
        source = func.nullif(epoch(new.c.f_entered_at), epoch(old.c.f_entered_at))
    return query, {"new": new, "old": old, "seen": seen, "prev_seen": prev_seen, "source": source}


def _mark_context(query: Any, new: Any, name: str) -> tuple[Any, dict[str, Any]]:
    lesson = version_table("lesson").alias(f"{name}_lesson")
    query = query.outerjoin(lesson, ref(lesson, new, "f_lesson_id"))
    return query, {
        "lesson": lesson,
        "day": func.coalesce(new.c.f_date, lesson.c.f_date),
        "group": func.coalesce(new.c.f_group_id, lesson.c.f_group_id),
        "person": func.coalesce(new.c.f_teacher_id, lesson.c.f_teacher_id),
    }


def _edit_findings(
    ctx: Context,
    rule: Rule[Any],
    params: RuleParams,
    query: Any,
    a: dict[str, Any],
    *,
    deadline: Any = None,
    what: str = "Отметка",
    field: str = "value",
    kind: str = "mark",
) -> list[Any]:
    new, old = a["new"], a["old"]
    if deadline is not None:
        verdict = verdict_sql(deadline, a["seen"], a["prev_seen"], a["source"], judge_baseline=True)
        query = query.where(verdict != Verdict.MET.value)
    else:
        verdict = literal(Verdict.VIOLATED.value)
        deadline = literal(None)
    query = query.add_columns(
        new.c.external_id,
        new.c.deployment,
        old.c[f"f_{field}"].label("before"),
        new.c[f"f_{field}"].label("after"),
        verdict.label("verdict"),
        deadline.label("deadline"),
        a["seen"].label("seen"),
        a["prev_seen"].label("prev_seen"),
        (a["source"] if a["source"] is not None else literal(None)).label("source"),
        a.get("day", literal(None)).label("day"),
        a.get("person", literal(None)).label("person"),
        a.get("group", literal(None)).label("grp"),
    )
    out = []
    for r in ctx.conn.execute(query).mappings():
        evidence = run_evidence(r["seen"], r["prev_seen"], r["source"])
        evidence.update(before=r["before"], after=r["after"], day=str(r["day"]))
        if r["deadline"] is not None:
            evidence["deadline"] = iso(int(r["deadline"]))
        out.append(
            ctx.finding(
                rule,
                entity_key=r["external_id"],
                entity_kind=kind,
                deployment=r["deployment"],
                verdict=r["verdict"],
                params=params,
                message=f"{what} за {ru_date(str(r['day']))} изменена: «{r['before']}» → «{r['after']}»",
                deadline=int(r["deadline"]) if r["deadline"] is not None else None,
                person=r["person"],
                group=r["grp"],
                evidence=evidence,
            )
        )
    return out


def _correction_deadline(
    ctx: Context, query: Any, a: dict[str, Any], until: DeadlineSpec, name: str
) -> tuple[Any, Any]:
    """The end of the correction window: ``until`` on the day the mark was first entered
    (its platform timestamp, else the first version's first sync)."""
    first = version_table("mark").alias(f"{name}_first")
    first_run = sync_run.alias(f"{name}_first_run")
    query = query.join(
        first,
        and_(
            first.c.entity_id == a["new"].c.entity_id,
            first.c.id
            == select(func.min(version_table("mark").c.id))
            .where(version_table("mark").c.entity_id == a["new"].c.entity_id)
            .scalar_subquery(),
        ),
    ).join(first_run, first_run.c.id == first.c.first_seen_run_id)
    entered = func.coalesce(epoch(first.c.f_entered_at), epoch(first_run.c.observed_at))
    days = ctx.due_table(until, f"{name}_day")
    query = query.join(days, and_(days.c.midnight <= entered, entered < days.c.midnight + 86400))
    return query, days.c.due


@register
class NoBackdating(Rule[RuleParams]):
    id = "marks.no_backdating"
    title = "Отметки не исправляются и не выставляются «задним числом»"
    entity_kind = "mark"
    clauses = clause_map({"kpgt": "3.2"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        query, a = edits(ctx, "mark", name="nb")
        query, more = _mark_context(query, a["new"], "nb")
        a.update(more)
        findings = _edit_findings(ctx, self, params, query, a)
        # «Задним числом»: a current mark entered after its lesson day was over.
        lesson_t = version_table("lesson")

        def joins(q: Any, v: Any) -> tuple[Any, dict[str, Any]]:
            lesson = lesson_t.alias("nbe_lesson")
            return q.outerjoin(lesson, ref(lesson, v, "f_lesson_id")), {"lesson": lesson}

        rows = entry_verdicts(
            ctx,
            kind="mark",
            spec=DeadlineSpec(),
            joins=joins,
            day=lambda x: func.coalesce(x["v"].c.f_date, x["lesson"].c.f_date),
            group=lambda x: func.coalesce(x["v"].c.f_group_id, x["lesson"].c.f_group_id),
            person=lambda x: func.coalesce(x["v"].c.f_teacher_id, x["lesson"].c.f_teacher_id),
            where=lambda x: x["v"].c.f_final_kind.is_(None),
        )
        findings += entry_findings(ctx, self, params, rows, what="Отметка «задним числом»")
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class WindowParams(RuleParams):
    until: DeadlineSpec = DeadlineSpec(at=dt.time(20, 0))
    """Corrections allowed on the day of the entry until this time."""


@register
class CorrectionWindow(Rule[WindowParams]):
    id = "marks.correction.window"
    title = "Ошибочные записи исправляются в тот же рабочий день до 20:00"
    entity_kind = "mark"
    params_model = WindowParams
    clauses = clause_map({"mazanka": "2.8.1–2.8.2"})

    def evaluate(self, ctx: Context, params: WindowParams) -> Outcome:
        query, a = edits(ctx, "mark", name="cw")
        query, more = _mark_context(query, a["new"], "cw")
        a.update(more)
        query = query.where(a["new"].c.f_final_kind.is_(None))
        query, window = _correction_deadline(ctx, query, a, params.until, "cw")
        findings = _edit_findings(ctx, self, params, query, a, deadline=window)
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class ImmutableParams(RuleParams):
    until: DeadlineSpec = DeadlineSpec(at=dt.time(20, 0))
    """The correction window of erroneous entries (2.8.1): later changes are revisions."""
    grades: tuple[str, ...] = ("2", "3", "4", "5")
    erroneous_approval_rules: tuple[str, ...] = ("marks.correction.window",)
    """Approvals that establish the corrected mark was erroneous."""


@register
class CorrectMarkImmutable(Rule[ImmutableParams]):
    id = "marks.correct_mark.immutable"
    title = "Правильно выставленные отметки не пересматриваются"
    entity_kind = "mark"
    params_model = ImmutableParams
    clauses = clause_map({"mazanka": "2.8.3"})

    def evaluate(self, ctx: Context, params: ImmutableParams) -> Outcome:
        """A change of a mark after the day's correction window (2.8.1) is a revision of a
        mark given correctly, unless the deputy approved it as an erroneous one (2.8.2)."""
        query, a = edits(ctx, "mark", name="ci")
        query, more = _mark_context(query, a["new"], "ci")
        a.update(more)
        query, window = _correction_deadline(ctx, query, a, params.until, "ci")
        approval = version_table("approval").alias("ci_approval")
        # A correction the deputy approved in writing (2.8.2) fixed an erroneous mark, not a
        # correct one; an unlock of the period (2.8.5) does not say the mark was wrong.
        erroneous = (
            select(literal(1))
            .select_from(approval)
            .where(
                current(approval),
                approval.c.f_rule_id.in_(params.erroneous_approval_rules),
                approval.c.f_entity_id == a["new"].c.external_id,
            )
            .correlate(a["new"])
            .exists()
        )
        query = query.where(
            a["new"].c.f_final_kind.is_(None),
            a["old"].c.f_value.in_(params.grades),
            a["new"].c.f_value.in_(params.grades),
            ~erroneous,
        )
        findings = _edit_findings(ctx, self, params, query, a, deadline=window)
        return Outcome(findings, touched=ctx.touched_keys("mark"))


class MaxAgeParams(RuleParams):
    days: int = Field(30, ge=0)


@register
class EditMaxAge(Rule[MaxAgeParams]):
    id = "marks.edit.max_age"
    title = "Текущие отметки и посещаемость не редактируются позднее N дней после урока"
    entity_kind = "mark"
    params_model = MaxAgeParams
    clauses = clause_map({"tpt": "3.18"})

    def evaluate(self, ctx: Context, params: MaxAgeParams) -> Outcome:
        spec = DeadlineSpec(calendar_days=params.days)
        days = ctx.due_table(spec, "ma_due")
        query, a = edits(ctx, "mark", name="ma")
        query, more = _mark_context(query, a["new"], "ma")
        a.update(more)
        query = query.join(days, days.c.day == a["day"]).where(a["new"].c.f_final_kind.is_(None))
        findings = _edit_findings(ctx, self, params, query, a, deadline=days.c.due)
        aq, b = edits(ctx, "absence", fields=("code", "valid"), name="mab")
        lesson = version_table("lesson").alias("mab_lesson")
        aq = aq.outerjoin(lesson, ref(lesson, b["new"], "f_lesson_id"))
        b.update(day=b["new"].c.f_date, person=lesson.c.f_teacher_id, group=lesson.c.f_group_id)
        days_b = ctx.due_table(spec, "mab_due")
        aq = aq.join(days_b, days_b.c.day == b["day"])
        findings += _edit_findings(
            ctx,
            self,
            params,
            aq,
            b,
            deadline=days_b.c.due,
            what="Отметка о посещаемости",
            field="code",
            kind="absence",
        )
        return Outcome(findings, touched=ctx.touched_keys_of("mark", "absence"))


@register
class FinalImmutable(Rule[RuleParams]):
    id = "marks.final.immutable"
    title = "Итоговые отметки не исправляются без письменного согласования"
    entity_kind = "mark"
    responsible_role = "teacher"
    clauses = clause_map({"mazanka": "2.8.4", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        query, a = edits(ctx, "mark", name="fi")
        query, more = _mark_context(query, a["new"], "fi")
        a.update(more)
        query = query.where(a["new"].c.f_final_kind.is_not(None))
        findings = _edit_findings(ctx, self, params, query, a, what="Итоговая отметка")
        return Outcome(findings, touched=ctx.touched_keys("mark"))


def _entries_into_closed_period(ctx: Context) -> list[Any]:
    period_t = version_table("period")
    lesson_t = version_table("lesson")

    def joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
        lesson = lesson_t.alias("ple_lesson")
        period = period_t.alias("ple_period")
        query = query.outerjoin(lesson, ref(lesson, v, "f_lesson_id"))
        day = func.coalesce(v.c.f_date, lesson.c.f_date)
        query = query.join(
            period,
            and_(
                current(period),
                period.c.platform == v.c.platform,
                period.c.deployment == v.c.deployment,
                period.c.f_period_kind != "year",
                or_(
                    period.c.external_id == v.c.f_period_id,
                    and_(
                        v.c.f_period_id.is_(None),
                        period.c.f_starts_on <= day,
                        period.c.f_ends_on >= day,
                    ),
                ),
            ),
        )
        return query, {"lesson": lesson, "period": period, "day": day}

    def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
        table = ctx.due_table(DeadlineSpec(), "ple_due")
        return query.join(table, table.c.day == a["period"].c.f_ends_on), table.c.due

    return entry_verdicts(
        ctx,
        kind="mark",
        spec=None,
        joins=joins,
        day=lambda a: a["day"],
        group=lambda a: func.coalesce(a["v"].c.f_group_id, a["lesson"].c.f_group_id),
        person=lambda a: func.coalesce(a["v"].c.f_teacher_id, a["lesson"].c.f_teacher_id),
        where=lambda a: or_(a["v"].c.f_final_kind.is_(None), a["v"].c.f_final_kind != "year"),
        deadline_override=deadline,
    )


@register
class PeriodLock(Rule[RuleParams]):
    id = "period.lock"
    title = "После окончания отчётного периода исправление отметок заблокировано"
    entity_kind = "mark"
    clauses = clause_map({"mazanka": "2.8.5"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        period = version_table("period").alias("pl_period")
        query, a = edits(ctx, "mark", name="pl")
        query, more = _mark_context(query, a["new"], "pl")
        a.update(more)
        query = query.join(
            period,
            and_(
                current(period),
                period.c.deployment == a["new"].c.deployment,
                period.c.f_period_kind != "year",
                or_(
                    period.c.external_id == a["new"].c.f_period_id,
                    and_(
                        a["new"].c.f_period_id.is_(None),
                        period.c.f_starts_on <= a["day"],
                        period.c.f_ends_on >= a["day"],
                    ),
                ),
            ),
        ).where(or_(a["new"].c.f_final_kind.is_(None), a["new"].c.f_final_kind != "year"))
        days = ctx.due_table(DeadlineSpec(), "pl_due")
        query = query.join(days, days.c.day == period.c.f_ends_on)
        findings = _edit_findings(ctx, self, params, query, a, deadline=days.c.due)
        # Entering a mark into a locked period is a change of the locked journal too.
        findings += entry_findings(
            ctx, self, params, _entries_into_closed_period(ctx), what="Отметка в закрытом периоде"
        )
        return Outcome(findings, touched=ctx.touched_keys("mark"))


@register
class YearLockTeacher(Rule[RuleParams]):
    id = "year.lock.teacher"
    title = "Учителя не редактируют журнал после годовых отметок"
    entity_kind = "mark"
    clauses = clause_map({"mazanka": "3.5.16"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        year_mark = version_table("mark").alias("yl_year")
        year_run = sync_run.alias("yl_year_run")
        first_year = (
            select(
                year_mark.c.deployment.label("deployment"),
                year_mark.c.f_student_id.label("student"),
                year_mark.c.f_subject_id.label("subject"),
                func.min(
                    func.coalesce(epoch(year_mark.c.f_entered_at), epoch(year_run.c.observed_at))
                ).label("set_at"),
            )
            .select_from(year_mark)
            .join(year_run, year_run.c.id == year_mark.c.first_seen_run_id)
            .where(year_mark.c.f_final_kind == "year")
            .group_by(year_mark.c.deployment, year_mark.c.f_student_id, year_mark.c.f_subject_id)
            .subquery("yl_first")
        )
        query, a = edits(ctx, "mark", name="yl")
        query, more = _mark_context(query, a["new"], "yl")
        a.update(more)
        new = a["new"]
        query = query.join(
            first_year,
            and_(
                first_year.c.deployment == new.c.deployment,
                first_year.c.student == new.c.f_student_id,
                first_year.c.subject == new.c.f_subject_id,
            ),
        ).where(or_(new.c.f_final_kind.is_(None), new.c.f_final_kind != "year"))
        findings = _edit_findings(ctx, self, params, query, a, deadline=first_year.c.set_at)
        return Outcome(findings, touched=ctx.touched_keys("mark"))
