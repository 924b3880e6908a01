"""Period results (policy-catalog.md §3): final marks in time, visible, marks density."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, not_, or_, select, union

from local_store.schema import sync_run, version_table
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


def _touched_groups(ctx: Context, today: dt.date) -> Any:
    """Groups whose figures a sync since the last check may have moved.

    A figure counts a group's lessons, marks, absences, students and
    assignments, so a change to any of them re-judges the group; so does a
    lesson whose day came since (published ahead, it now counts as held).
    """
    since = ctx.since_run_id or 0

    def changed(alias: Any) -> Any:
        return or_(
            alias.c.first_seen_run_id > since,
            alias.c.last_seen_run_id > since,
            alias.c.superseded_run_id > since,
        )

    parts = []
    for kind in ("lesson", "mark", "enrolment", "teaching_assignment", "subgroup"):
        v = ctx.version(kind, f"md_touch_{kind}")
        parts.append(select(v.c.f_group_id).where(changed(v)))
    absence = ctx.version("absence", "md_touch_absence")
    lesson = ctx.version("lesson", "md_touch_lesson")
    parts.append(
        select(lesson.c.f_group_id)
        .select_from(absence)
        .join(lesson, ref(lesson, absence, "f_lesson_id"))
        .where(changed(absence))
    )
    member = ctx.version("subgroup_member", "md_touch_member")
    subgroup = ctx.version("subgroup", "md_touch_subgroup")
    parts.append(
        select(subgroup.c.f_group_id)
        .select_from(member)
        .join(subgroup, ref(subgroup, member, "f_subgroup_id"))
        .where(changed(member))
    )
    since_at = ctx.conn.execute(
        select(sync_run.c.observed_at).where(sync_run.c.id == since)
    ).scalar()
    if since_at is not None:
        came = ctx.version("lesson", "md_touch_came")
        parts.append(
            select(came.c.f_group_id).where(
                current(came),
                came.c.f_date > ctx.calendar.local_date(since_at),
                came.c.f_date <= today,
            )
        )
    return union(*parts)


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
    min_lessons_attended: int = Field(2, ge=1)
    """A student counts once present at this many of the group-subject's lessons in the
    period: nobody can be marked at lessons before joining the group or while absent."""


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

        The students judged are those present at the assignment's lessons
        (enrolled in the group that day, no absence other than lateness) at
        least ``min_lessons_attended`` times; a group-subject is judged once
        its typical student has marks.
        """
        today = ctx.calendar.local_date(ctx.data_as_of)
        groups = None if ctx.full else _touched_groups(ctx, today)

        def scope(alias: Any) -> list[Any]:
            return [] if groups is None else [alias.c.f_group_id.in_(groups)]

        ta = ctx.version("teaching_assignment", "md_ta")
        period = ctx.version("period", "md_period")
        enr = ctx.version("enrolment", "md_enr")
        mark = ctx.version("mark", "md_mark")
        group = ctx.version("group", "md_group")
        member = ctx.version("subgroup_member", "md_member")
        lesson = ctx.version("lesson", "md_lesson")
        absence = ctx.version("absence", "md_absence")
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
        student = enr.c.f_student_id
        in_subgroup = (
            select(literal(1))
            .select_from(member)
            .where(
                current(member),
                member.c.platform == ta.c.platform,
                member.c.deployment == ta.c.deployment,
                member.c.f_subgroup_id == ta.c.f_subgroup_id,
                member.c.f_student_id == student,
            )
            .correlate(ta, enr)
            .exists()
        )
        # the lessons judged, each with its period
        lp = (
            select(
                lesson.c.platform,
                lesson.c.deployment,
                lesson.c.external_id,
                lesson.c.f_group_id,
                lesson.c.f_subject_id,
                lesson.c.f_subgroup_id,
                lesson.c.f_date,
                period.c.external_id.label("period"),
            )
            .select_from(lesson)
            .join(
                period,
                and_(
                    current(period),
                    period.c.platform == lesson.c.platform,
                    period.c.deployment == lesson.c.deployment,
                    period.c.f_period_kind.in_(params.period_kinds),
                    lesson.c.f_date >= period.c.f_starts_on,
                    lesson.c.f_date <= period.c.f_ends_on,
                ),
            )
            .where(current(lesson), lesson.c.f_date <= today)
            .subquery("md_lp")
        )
        of_assignment = and_(
            lp.c.platform == ta.c.platform,
            lp.c.deployment == ta.c.deployment,
            lp.c.f_group_id == ta.c.f_group_id,
            lp.c.f_subject_id == ta.c.f_subject_id,
            or_(
                ta.c.f_subgroup_id.is_(None),
                lp.c.f_subgroup_id.is_(None),
                lp.c.f_subgroup_id == ta.c.f_subgroup_id,
            ),
        )
        keys = (ta.c.platform, ta.c.deployment, ta.c.external_id, lp.c.period)
        held = (
            select(*keys, student.label("student"), func.count().label("held"))
            .select_from(ta)
            .join(lp, of_assignment)
            .join(
                enr,
                and_(
                    current(enr),
                    enr.c.platform == ta.c.platform,
                    enr.c.deployment == ta.c.deployment,
                    enr.c.f_group_id == ta.c.f_group_id,
                    enr.c.f_starts_on <= lp.c.f_date,
                    # the end date is the day of leaving (the order's date): no lesson that day
                    or_(enr.c.f_ends_on.is_(None), enr.c.f_ends_on > lp.c.f_date),
                ),
            )
            .where(current(ta), or_(ta.c.f_subgroup_id.is_(None), in_subgroup), *scope(ta))
            .group_by(*keys, student)
            .subquery("md_held")
        )
        # lessons missed: an absence other than lateness, for the lesson or (no lesson given)
        # for its whole day
        missed_pairs = union(
            select(lp.c.external_id.label("lesson"), absence.c.f_student_id.label("student"))
            .select_from(lp)
            .join(
                absence,
                and_(
                    absence.c.platform == lp.c.platform,
                    absence.c.deployment == lp.c.deployment,
                    absence.c.f_lesson_id == lp.c.external_id,
                ),
            )
            .where(current(absence), absence.c.f_code != "ОП"),
            select(lp.c.external_id, absence.c.f_student_id)
            .select_from(lp)
            .join(
                absence,
                and_(
                    absence.c.platform == lp.c.platform,
                    absence.c.deployment == lp.c.deployment,
                    absence.c.f_lesson_id.is_(None),
                    absence.c.f_date == lp.c.f_date,
                ),
            )
            .where(current(absence), absence.c.f_code != "ОП"),
        ).subquery("md_missed_pairs")
        missed = (
            select(*keys, missed_pairs.c.student, func.count().label("missed"))
            .select_from(ta)
            .join(lp, of_assignment)
            .join(missed_pairs, missed_pairs.c.lesson == lp.c.external_id)
            .where(current(ta), *scope(ta))
            .group_by(*keys, missed_pairs.c.student)
            .subquery("md_missed")
        )
        attended = (
            select(
                held.c.platform,
                held.c.deployment,
                held.c.external_id.label("ta"),
                held.c.period,
                held.c.student,
                (held.c.held - func.coalesce(missed.c.missed, 0)).label("present"),
            )
            .select_from(held)
            .outerjoin(
                missed,
                and_(
                    missed.c.platform == held.c.platform,
                    missed.c.deployment == held.c.deployment,
                    missed.c.external_id == held.c.external_id,
                    missed.c.period == held.c.period,
                    missed.c.student == held.c.student,
                ),
            )
            .subquery("md_attended")
        )
        query = (
            select(
                attended.c.ta,
                attended.c.deployment,
                ta.c.f_group_id,
                ta.c.f_teacher_id,
                attended.c.period,
                attended.c.student,
                func.coalesce(counts.c.n, 0).label("n"),
            )
            .select_from(attended)
            .join(
                ta,
                and_(
                    current(ta),
                    ta.c.platform == attended.c.platform,
                    ta.c.deployment == attended.c.deployment,
                    ta.c.external_id == attended.c.ta,
                ),
            )
            .join(group, ref(group, ta, "f_group_id"))
            .outerjoin(
                counts,
                and_(
                    counts.c.platform == attended.c.platform,
                    counts.c.deployment == attended.c.deployment,
                    counts.c.student == attended.c.student,
                    counts.c.subject == ta.c.f_subject_id,
                    counts.c.period == attended.c.period,
                ),
            )
            .where(
                attended.c.present >= params.min_lessons_attended,
                or_(group.c.f_grade.is_(None), not_(group.c.f_grade.in_(params.exclude_grades))),
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
        touched = None
        if groups is not None:
            every = ctx.version("teaching_assignment", "md_touched_ta")
            touched = select(every.c.external_id).where(current(every), *scope(every))
        return Outcome(findings, figures, touched=touched)
