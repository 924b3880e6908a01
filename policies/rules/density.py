"""Marks density (policy-catalog.md §3, a monitoring figure): students without marks.

The regulations ask the deputy to watch «процент обучающихся, не имеющих
оценок, процент обучающихся, имеющих одну оценку» per teacher, group and
period.  The figure is built in SQL from four sets: the lessons held so far
in each period, the students present at them, their absences, and their
current marks; only the median and the shares are taken in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, and_, func, literal, not_, or_, select, tuple_, union

from local_store.schema import sync_run
from local_store.violations import Figure
from policies.evidence import Verdict
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register
from policies.rules.common import current, ref, same


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


def touched_pairs(ctx: Context, today: dt.date) -> Any:
    """(group, subject) pairs whose figures a sync since the last check may have moved.

    A lesson, mark or absence moves its own group-subject, and so does a lesson
    whose day came since (published ahead, it now counts as held); a student
    joining or leaving, or a subgroup changing, moves every subject of the group.
    """
    since = ctx.since_run_id or 0

    def changed(alias: Any) -> Any:
        # a version that appeared, changed or went away; seeing the same again moves no count
        return or_(alias.c.first_seen_run_id > since, alias.c.superseded_run_id > since)

    parts = []
    for kind in ("lesson", "mark", "teaching_assignment"):
        v = ctx.version(kind, f"md_touch_{kind}")
        parts.append(select(v.c.f_group_id, v.c.f_subject_id).where(changed(v)))
    absence = ctx.version("absence", "md_touch_absence")
    lesson = ctx.version("lesson", "md_touch_lesson")
    parts.append(
        select(lesson.c.f_group_id, lesson.c.f_subject_id)
        .select_from(absence)
        .join(lesson, ref(lesson, absence, "f_lesson_id"))
        .where(changed(absence))
    )
    since_at = ctx.conn.execute(
        select(sync_run.c.observed_at).where(sync_run.c.id == since)
    ).scalar()
    if since_at is not None:
        came = ctx.version("lesson", "md_touch_came")
        parts.append(
            select(came.c.f_group_id, came.c.f_subject_id).where(
                current(came),
                came.c.f_date > ctx.calendar.local_date(since_at),
                came.c.f_date <= today,
            )
        )
    groups = []
    for kind in ("enrolment", "subgroup"):
        v = ctx.version(kind, f"md_touch_{kind}")
        groups.append(select(v.c.f_group_id).where(changed(v)))
    member = ctx.version("subgroup_member", "md_touch_member")
    subgroup = ctx.version("subgroup", "md_touch_subgroup")
    groups.append(
        select(subgroup.c.f_group_id)
        .select_from(member)
        .join(subgroup, ref(subgroup, member, "f_subgroup_id"))
        .where(changed(member))
    )
    every = ctx.version("teaching_assignment", "md_touch_every")
    parts.append(
        select(every.c.f_group_id, every.c.f_subject_id).where(
            current(every), every.c.f_group_id.in_(union(*groups))
        )
    )
    return union(*parts)


def _in_period(ctx: Context, params: DensityParams, name: str, dated: Any) -> tuple[Any, Any]:
    """A period of the judged kinds and the condition that ``dated`` (its ``f_date``) falls
    in it: the join both the lessons held and the marks counted make."""
    period = ctx.version("period", name)
    return period, and_(
        current(period),
        period.c.f_period_kind.in_(params.period_kinds),
        same(period, dated, "platform", "deployment"),
        dated.c.f_date.between(period.c.f_starts_on, period.c.f_ends_on),
    )


def _mark_counts(ctx: Context, params: DensityParams, scope: Any) -> Any:
    """Current (not final) marks per student, subject and period (of the pairs judged)."""
    mark = ctx.version("mark", "md_mark")
    period, in_period = _in_period(ctx, params, "md_mark_period", mark)
    judged = scope(mark)
    keys = (mark.c.platform, mark.c.deployment, mark.c.f_student_id, mark.c.f_subject_id)
    return (
        select(*keys, period.c.external_id.label("period"), func.count().label("n"))
        .select_from(mark)
        .join(period, in_period)
        .where(
            current(mark),
            mark.c.f_final_kind.is_(None),
            # a mark without a group counts wherever its student and subject are judged
            *([or_(mark.c.f_group_id.is_(None), *judged)] if judged else []),
        )
        .group_by(*keys, period.c.external_id)
        .subquery("md_counts")
    )


def _lessons_held(ctx: Context, params: DensityParams, today: dt.date, scope: Any) -> Any:
    """The lessons held so far (of the group-subjects judged), each with its period."""
    lesson = ctx.version("lesson", "md_lesson")
    period, in_period = _in_period(ctx, params, "md_period", lesson)
    return (
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
        .join(period, in_period)
        .where(current(lesson), lesson.c.f_date <= today, *scope(lesson))
        .subquery("md_lp")
    )


def _absent_at(ctx: Context, held: Any) -> Any:
    """(lesson, student) pairs of an absence other than lateness: for the lesson, or (no
    lesson given) for its whole day."""
    absence = ctx.version("absence", "md_absence")

    def pairs(on: ColumnElement[bool]) -> Any:
        return (
            select(held.c.external_id.label("lesson"), absence.c.f_student_id.label("student"))
            .select_from(held)
            .join(absence, and_(same(absence, held, "platform", "deployment"), on))
            .where(current(absence), absence.c.f_code != "ОП")
        )

    return union(
        pairs(absence.c.f_lesson_id == held.c.external_id),
        pairs(and_(absence.c.f_lesson_id.is_(None), absence.c.f_date == held.c.f_date)),
    ).subquery("md_missed_pairs")


def _attendance(ctx: Context, params: DensityParams, today: dt.date, scope: Any) -> Any:
    """Per teaching assignment, period and student: the lessons the student was present at.

    Lessons held while the student was in the group (the end date is the day
    of leaving, the order's date: no lesson that day) and, for a subgroup's
    assignment, a member of it; less the lessons they missed.
    """
    ta = ctx.version("teaching_assignment", "md_ta")
    enr = ctx.version("enrolment", "md_enr")
    member = ctx.version("subgroup_member", "md_member")
    held = _lessons_held(ctx, params, today, scope)
    student = enr.c.f_student_id
    of_assignment = and_(
        same(held, ta, "platform", "deployment"),
        held.c.f_group_id == ta.c.f_group_id,
        held.c.f_subject_id == ta.c.f_subject_id,
        or_(
            ta.c.f_subgroup_id.is_(None),
            held.c.f_subgroup_id.is_(None),
            held.c.f_subgroup_id == ta.c.f_subgroup_id,
        ),
    )
    in_subgroup = (
        select(literal(1))
        .select_from(member)
        .where(
            current(member),
            same(member, ta, "platform", "deployment"),
            member.c.f_subgroup_id == ta.c.f_subgroup_id,
            member.c.f_student_id == student,
        )
        .correlate(ta, enr)
        .exists()
    )
    keys = (ta.c.platform, ta.c.deployment, ta.c.external_id, held.c.period)
    present = (
        select(*keys, student.label("student"), func.count().label("held"))
        .select_from(ta)
        .join(held, of_assignment)
        .join(
            enr,
            and_(
                current(enr),
                same(enr, ta, "platform", "deployment"),
                enr.c.f_group_id == ta.c.f_group_id,
                enr.c.f_starts_on <= held.c.f_date,
                or_(enr.c.f_ends_on.is_(None), enr.c.f_ends_on > held.c.f_date),
            ),
        )
        .where(current(ta), or_(ta.c.f_subgroup_id.is_(None), in_subgroup), *scope(ta))
        .group_by(*keys, student)
        .subquery("md_held")
    )
    absent = _absent_at(ctx, held)
    missed = (
        select(*keys, absent.c.student, func.count().label("missed"))
        .select_from(ta)
        .join(held, of_assignment)
        .join(absent, absent.c.lesson == held.c.external_id)
        .where(current(ta), *scope(ta))
        .group_by(*keys, absent.c.student)
        .subquery("md_missed")
    )
    return (
        select(
            present.c.platform,
            present.c.deployment,
            present.c.external_id.label("ta"),
            present.c.period,
            present.c.student,
            (present.c.held - func.coalesce(missed.c.missed, 0)).label("present"),
        )
        .select_from(present)
        .outerjoin(
            missed,
            same(missed, present, "platform", "deployment", "external_id", "period", "student"),
        )
        .subquery("md_attended")
    )


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

        The students judged are those present at the assignment's lessons at
        least ``min_lessons_attended`` times; a group-subject is judged once its
        typical student has marks.  An incremental check re-judges only the
        group-subjects a sync touched.
        """
        today = ctx.calendar.local_date(ctx.data_as_of)
        # read once: a few hundred pairs at most, so every part below filters by a list
        pairs = (
            None
            if ctx.full
            else [tuple(row) for row in ctx.conn.execute(touched_pairs(ctx, today))]
        )

        def scope(alias: Any) -> list[Any]:
            if pairs is None:
                return []
            return [tuple_(alias.c.f_group_id, alias.c.f_subject_id).in_(pairs)]

        attended = _attendance(ctx, params, today, scope)
        counts = _mark_counts(ctx, params, scope)
        ta = ctx.version("teaching_assignment", "md_judged_ta")
        group = ctx.version("group", "md_group")
        query = (
            select(
                attended.c.ta,
                attended.c.deployment,
                ta.c.f_group_id,
                ta.c.f_teacher_id,
                attended.c.period,
                func.coalesce(counts.c.n, 0).label("n"),
            )
            .select_from(attended)
            .join(
                ta,
                and_(
                    current(ta),
                    same(ta, attended, "platform", "deployment"),
                    ta.c.external_id == attended.c.ta,
                ),
            )
            .join(group, ref(group, ta, "f_group_id"))
            .outerjoin(
                counts,
                and_(
                    same(counts, attended, "platform", "deployment", "period"),
                    counts.c.f_student_id == attended.c.student,
                    counts.c.f_subject_id == ta.c.f_subject_id,
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
        for key, marks_of in sorted(per_assignment.items()):
            r = info[key]
            figure = self._figure(key, marks_of, r, params)
            if figure is None:
                continue
            figures.append(figure)
            if figure.breached:
                detail = figure.detail
                findings.append(
                    ctx.finding(
                        self,
                        entity_key=key[0],
                        deployment=r["deployment"],
                        period_key=key[1],
                        verdict=Verdict.VIOLATED.value,
                        params=params,
                        message=(
                            f"Накопляемость отметок за период: без отметок "
                            f"{detail['without_marks']} из {detail['students']}, "
                            f"с одной отметкой {detail['one_mark']}"
                        ),
                        person=r["f_teacher_id"],
                        group=r["f_group_id"],
                        evidence=detail,
                    )
                )
        touched = None
        if pairs is not None:
            every = ctx.version("teaching_assignment", "md_touched_ta")
            touched = select(every.c.external_id).where(current(every), *scope(every))
        return Outcome(findings, figures, touched=touched)

    @staticmethod
    def _figure(
        key: tuple[str, str], marks_of: list[int], r: Any, params: DensityParams
    ) -> Figure | None:
        """The figure of one assignment and period, or ``None`` while there is nothing to
        judge (no marks yet, or a subject the journal marks rarely)."""
        ordered = sorted(marks_of)
        median = ordered[len(ordered) // 2]
        if sum(ordered) == 0 or median < params.min_peer_median:
            return None
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
        return Figure(
            "teaching_assignment",
            key[0],
            key[1],
            share_none + share_one,
            params.max_share_without_marks + params.max_share_one_mark,
            breached,
            detail,
        )
