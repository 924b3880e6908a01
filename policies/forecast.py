"""The forecast of period results and attendance (usolye 2.8 and 7.2, tpt's aims).

Per student and subject, the period mark the institution's own rule (the weighted
average of the period's current marks, rounded at ``round_from``) would give if
the rest of the period goes as it has gone so far, with how sure that is:

* the student's level is the weighted mean of their marks so far (shrunk toward the
  group's mean in the subject by ``prior_marks`` pseudo-marks where a profile asks; the
  default is none);
* the marks still to come are as many as the rate so far gives for the lessons left
  (the lessons of the period are those in the journal, or the lessons held so far
  scaled to the whole period, whichever is more), each with the student's own spread
  (shrunk toward ``prior_sd``);
* the period average is then roughly normal; each mark's probability is the mass
  between the rounding thresholds, and the forecast is the mark the expected average
  rounds to.

Attendance: the share of the lessons held while the student was in the group that
they missed (lateness and exemption aside), kept for the rest of the period.

The store is read set-based: three aggregate queries (marks, attendance, lessons);
Python only shapes one row per student and subject.  Thresholds are the profile's
``[forecast]`` parameters (local policy: the regulations name none).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, and_, case, func, literal, or_, select

from local_store.schema import version_table
from policies.profiles import Profile, ProfileError
from policies.sqlfunc import epoch

MARKS = (2, 3, 4, 5)
NOT_ATTESTED = "н/а"
EXEMPT = "осв."
"""Exempt from the subject (ОСВ at most of its lessons): no mark is expected."""


class ForecastParams(BaseModel):
    """The profile's ``[forecast]`` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clause: str = ""
    text: str = ""
    """The regulation's own words asking for the forecast."""
    notice_clause: str = ""
    notice_text: str = ""
    """The regulation's own words asking to tell students and parents."""
    round_from: float = Field(0.5, gt=0, lt=1)
    """The fraction from which the average rounds up (0.5: 3.5 → «4», 3.49 → «3»)."""
    prior_marks: float = Field(4.0, ge=0)
    """How many marks' worth the prior (``prior_from``) weighs in a student's level.  The
    defaults of this and of ``trend_prior``, ``absence_prior``, ``rate_prior`` and
    ``risk_probability`` are the backtest's (benchmarks/forecast.py, realistic mode):
    pulled toward the student's own mean over all subjects, the forecast beats "current
    average, rounded" at weeks 4, 8 and 12 on exact marks, on the recall of «2»/«н/а» and
    on its precision; pulled toward the group's mean it hid failing students."""
    prior_from: Literal["student", "group"] = "student"
    """What a student's level is pulled toward: their own mean over all subjects, or the
    group's mean in the subject."""
    trend_prior: float | None = Field(1000.0, gt=0)
    """How much a trend must show before it counts (week² of pseudo-spread; larger is
    flatter). ``None``: no trend, the level stays where it is."""
    absence_memory: float | None = Field(None, ge=0)
    """Lessons' worth the period's absence rate weighs against the last two weeks' in the
    rate of the lessons left; ``None``: the period's rate alone."""
    absence_prior: float = Field(30.0, ge=0)
    """Lessons' worth the group's absence rate weighs in the student's rate of the lessons
    left (an illness in September need not last till December)."""
    rate_prior: float = Field(3.0, ge=0)
    """Lessons' worth the group's marks per lesson attended weighs in the student's: a
    student not yet marked (ill, newly come) is expected to be, and forecast from their
    marks in other subjects, not «не аттестован» at once."""
    prior_sd: float = Field(0.8, gt=0)
    """The spread of one mark assumed before a student has several."""
    min_marks: int = Field(1, ge=0)
    """Fewer marks than this by the period's end: «не аттестован» (the count ``marks.density``
    watches: a student with none or one mark in the period)."""
    max_missed_share: float | None = Field(0.5, gt=0, le=1)
    """Missing more than this share of the period's planned lessons (КТП): «не аттестован».
    Local policy (none of our regulations names it; «более половины учебного времени» is
    the usual wording of a Положение о текущем контроле); ``None``: never by attendance."""
    missed_caution: float = Field(0.05, ge=0, le=1)
    missed_risk: float = Field(0.10, ge=0, le=1)
    """Share of lessons missed: warning and risk (EWIMS: ≥ 10 % is chronic absence)."""
    risk_probability: float = Field(0.4, gt=0, le=1)
    """A subject is at risk once «2» (or «не аттестован») is this likely."""
    high_risk_subjects: int = Field(2, ge=1)
    """Subjects at risk from which the student is at high risk."""
    period_kinds: tuple[str, ...] = ("semester", "quarter", "half_year", "trimester")


def forecast_params(profile: Profile) -> ForecastParams:
    try:
        return ForecastParams.model_validate(dict(profile.forecast))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProfileError(
            f"профиль {profile.id}: [forecast] {where}: недопустимое значение ({first['msg']})"
        ) from None


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class History:
    """What the store shows of one student in one subject, up to the forecast day."""

    marks: int = 0
    weight: float = 0.0
    weighted_sum: float = 0.0
    weighted_squares: float = 0.0
    held: int = 0
    """Lessons held so far while the student was in the group."""
    missed: int = 0
    excused: int = 0
    exempt: int = 0
    """Lessons the student was exempt from (ОСВ)."""
    planned: int = 0
    """Lessons of the whole period: by the КТП where the store has one, else estimated."""
    weighted_time: float = 0.0
    weighted_time_squares: float = 0.0
    weighted_value_time: float = 0.0
    """Sums over the marks of weight × weeks since the period began (× itself, × value): the
    trend of the student's marks."""
    now: float = 0.0
    end: float = 0.0
    """Weeks from the period's start to the forecast day and to the period's end."""
    recent_held: int = 0
    recent_missed: int = 0
    """Lessons held and missed in the last ``RECENT_DAYS`` days."""
    group_missed_share: float | None = None
    """The share of lessons the group's students missed in the subject so far."""
    group_mark_rate: float | None = None
    """Marks per lesson attended in the group-subject so far."""
    student_mean: float | None = None
    student_weight: float = 0.0
    """The student's weighted mean over all subjects so far, and the weight behind it."""
    planned_from: str = "journal"
    """Where ``planned`` comes from: ``plan`` (КТП hours), ``journal`` (lessons entered for
    the period) or ``pace`` (the lessons held so far, scaled to the whole period)."""
    hours_per_lesson: float = 1.0
    group_mean: float | None = None
    """The group's weighted mean in the subject so far (the prior)."""

    @property
    def mean(self) -> float | None:
        return self.weighted_sum / self.weight if self.weight else None


@dataclass(frozen=True)
class SubjectForecast:
    mark: str
    """«2»…«5» or «н/а»."""
    probability: float
    """How likely the forecast mark is (0…1)."""
    probabilities: Mapping[str, float]
    current_mean: float | None
    expected_mean: float | None
    marks_so_far: int
    marks_expected: float
    fives_to_next: int | None
    """How many «5» (of weight 1) lift the average to the next mark (``None``: at «5»
    already or no marks)."""
    fives_possible: bool
    """Whether that many lessons are left."""
    held: int
    missed: int
    excused: int
    planned: int
    missed_share: float | None
    planned_from: str = "journal"
    hours_per_lesson: float = 1.0
    missed_projected: float | None = None
    """Lessons missed by the period's end if the student keeps missing at this pace."""
    risks: tuple[str, ...] = ()
    """Russian reasons this subject is at risk."""


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def thresholds(round_from: float) -> list[float]:
    """Averages from which «3», «4», «5» are given."""
    return [k + round_from for k in (2, 3, 4)]


def round_mark(average: float, round_from: float) -> int:
    """The period mark an average gives under the rule: «2»…«5»."""
    mark = 2
    for k, t in zip((3, 4, 5), thresholds(round_from), strict=True):
        if average >= t - 1e-9:
            mark = k
    return mark


def fives_needed(history: History, target: float) -> int:
    """Marks «5» of weight 1 that lift the weighted average to ``target``."""
    gap = target * history.weight - history.weighted_sum
    if gap <= 0:
        return 0
    return math.ceil(gap / (5.0 - target) - 1e-9)


def hours(lessons: float, per_lesson: float, by_plan: bool = True) -> str:
    """Lessons for people: academic hours by the КТП («36 ч»), else lessons («18 зан.»)."""
    if not by_plan:
        return f"{lessons:.0f} зан."
    return f"{lessons * per_lesson:.0f} ч"


def attendance_bars(
    history: History, missed_projected: float, params: ForecastParams
) -> str | None:
    """Why attendance bars attestation (already, or at this pace by the period's end)."""
    if params.max_missed_share is None or history.planned <= 0:
        return None
    limit = params.max_missed_share * history.planned
    per = history.hours_per_lesson
    by_plan = history.planned_from == "plan"
    of = "по КТП" if by_plan else "периода"
    whole = hours(history.planned, per, by_plan)
    if history.missed > limit + 1e-9:
        return (
            f"пропущено {hours(history.missed, per, by_plan)} из {whole} {of} — больше "
            f"{params.max_missed_share:.0%}: не аттестуется"
        )
    if missed_projected > limit + 1e-9:
        return (
            f"при таких пропусках к концу периода будет пропущено "
            f"{hours(missed_projected, per, by_plan)} из {whole} {of} — больше "
            f"{params.max_missed_share:.0%}"
        )
    return None


def marks_too_few(marks: int, expected: float, params: ForecastParams) -> str:
    if marks == 0:
        return "нет отметок: не аттестуется без них"
    return (
        f"мало отметок для аттестации: к концу периода около {expected:.0f}, "
        f"нужно не меньше {params.min_marks}"
    )


def future_miss_rate(history: History, params: ForecastParams) -> float:
    """The share of the lessons left the student will miss: the recent weeks' rate,
    pulled toward the period's rate by ``absence_memory`` lessons (absences come in spells,
    so the last two weeks say more about the next ones than September does)."""
    if not history.held:
        return 0.0
    overall = history.missed / history.held
    k = params.absence_memory
    rate = (
        overall if k is None else (history.recent_missed + k * overall) / (history.recent_held + k)
    )
    base = history.group_missed_share
    if base is None or params.absence_prior <= 0:
        return rate
    seen = history.held if k is None else history.recent_held + k
    return (rate * seen + params.absence_prior * base) / (seen + params.absence_prior)


def trend(history: History, params: ForecastParams, sd2: float) -> tuple[float, float, float]:
    """The slope of the student's marks (marks a week, shrunk toward none), its variance,
    and how many weeks from the marks' middle to the middle of the weeks left."""
    if params.trend_prior is None or history.weight <= 0:
        return 0.0, 0.0, 0.0
    t_bar = history.weighted_time / history.weight
    s_tt = max(0.0, history.weighted_time_squares - history.weight * t_bar * t_bar)
    s_vt = history.weighted_value_time - t_bar * history.weighted_sum
    denominator = s_tt + params.trend_prior
    slope = s_vt / denominator
    shift = max(0.0, (history.now + history.end) / 2 - t_bar)
    return slope, sd2 / denominator, shift


def forecast_subject(history: History, params: ForecastParams) -> SubjectForecast:
    """One student's forecast in one subject: the model in the module docstring."""
    remaining = max(0, history.planned - history.held)
    missed_share = history.missed / history.held if history.held else None
    miss_rate = future_miss_rate(history, params)
    attended = history.held - history.missed
    group_rate = history.group_mark_rate if history.group_mark_rate is not None else 0.0
    k_rate = params.rate_prior if history.group_mark_rate is not None else 0.0
    rate = (
        (history.marks + k_rate * group_rate) / (attended + k_rate)
        if attended + k_rate > 0
        else 0.0
    )
    future_count = rate * remaining * (1.0 - miss_rate)
    marks_expected = history.marks + future_count
    missed_projected = history.missed + miss_rate * remaining
    common = dict(
        current_mean=history.mean,
        marks_so_far=history.marks,
        marks_expected=round(marks_expected, 1),
        held=history.held,
        missed=history.missed,
        excused=history.excused,
        planned=history.planned,
        missed_share=missed_share,
        planned_from=history.planned_from,
        hours_per_lesson=history.hours_per_lesson,
        missed_projected=round(missed_projected, 1),
    )
    risks: list[str] = []
    if history.held and history.exempt * 2 >= history.held:
        return SubjectForecast(
            EXEMPT,
            1.0,
            {EXEMPT: 1.0},
            expected_mean=None,
            fives_to_next=None,
            fives_possible=False,
            **common,  # type: ignore[arg-type]
        )
    if missed_share is not None and missed_share >= params.missed_risk:
        risks.append(f"пропущено {missed_share:.0%} занятий")
    absent = attendance_bars(history, missed_projected, params)
    if absent is not None:
        risks.insert(0, absent)
    prior = history.student_mean if params.prior_from == "student" else history.group_mean
    if prior is None:
        prior = history.group_mean
    unmarked = history.marks == 0 and (prior is None or params.prior_marks <= 0)
    too_few = unmarked or marks_expected < max(params.min_marks, 1) - 1e-9
    if absent is not None or too_few:
        if too_few:
            risks.insert(0, marks_too_few(history.marks, marks_expected, params))
        return SubjectForecast(
            NOT_ATTESTED,
            1.0,
            {NOT_ATTESTED: 1.0},
            expected_mean=None,
            fives_to_next=None,
            fives_possible=False,
            risks=tuple(risks),
            **common,  # type: ignore[arg-type]
        )
    n = history.marks
    k = params.prior_marks
    # no marks yet (ill, newly come): the level is the prior alone, with its doubt
    mean = history.weighted_sum / history.weight if n else float(prior or 0.0)
    if prior is None:
        prior = mean
    level = (n * mean + k * prior) / (n + k)
    variance = max(0.0, history.weighted_squares / history.weight - mean * mean) if n else 0.0
    sd2 = (n * variance + k * params.prior_sd**2) / (n + k)
    slope, slope_var, shift = trend(history, params, sd2)
    level = min(5.0, max(2.0, level + slope * shift))
    # the future marks weigh as the past ones did on average
    w_each = history.weight / n if n else 1.0
    w_future = w_each * future_count
    total = history.weight + w_future
    expected = (history.weighted_sum + w_future * level) / total
    # the future mean's spread: its own marks' noise, the doubt about the level and the trend
    future_var = (
        (sd2 / future_count if future_count > 0 else 0.0)
        + sd2 / (n + k)
        + slope_var * shift * shift
    )
    sd = (w_future / total) * math.sqrt(future_var) if future_count > 0 else 0.0
    cuts = thresholds(params.round_from)
    probabilities: dict[str, float] = {}
    bounds = [-math.inf, *cuts, math.inf]
    for k, low, high in zip(MARKS, bounds, bounds[1:], strict=False):
        if sd <= 1e-9:
            p = 1.0 if round_mark(expected, params.round_from) == k else 0.0
        else:
            p = _phi((high - expected) / sd) - _phi((low - expected) / sd)
        probabilities[str(k)] = round(p, 4)
    mark = round_mark(expected, params.round_from)
    fives: int | None = None
    if mark < 5 and n:
        fives = fives_needed(history, cuts[mark - 2])
    if probabilities["2"] >= params.risk_probability:
        risks.insert(0, f"«2» с вероятностью {probabilities['2']:.0%}")
    return SubjectForecast(
        str(mark),
        probabilities[str(mark)],
        probabilities,
        expected_mean=round(expected, 2),
        fives_to_next=fives,
        fives_possible=fives is not None and fives <= remaining,
        risks=tuple(risks),
        **common,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Period:
    id: str
    name: str
    starts_on: dt.date
    ends_on: dt.date


@dataclass
class StudentForecast:
    student_id: str
    group_id: str
    subjects: dict[str, SubjectForecast] = field(default_factory=dict)

    def held(self) -> int:
        return sum(s.held for s in self.subjects.values())

    def missed(self) -> int:
        return sum(s.missed for s in self.subjects.values())

    def missed_share(self) -> float | None:
        held = self.held()
        return self.missed() / held if held else None

    def at_risk_subjects(self) -> list[str]:
        return [sid for sid, s in self.subjects.items() if s.mark in ("2", NOT_ATTESTED) or s.risks]

    def level(self, params: ForecastParams) -> str:
        """``high``, ``risk``, ``caution`` or ``""``."""
        failing = [
            sid
            for sid, s in self.subjects.items()
            if s.mark in ("2", NOT_ATTESTED)
            or s.probabilities.get("2", 0.0) >= params.risk_probability
        ]
        share = self.missed_share()
        if len(failing) >= params.high_risk_subjects:
            return "high"
        if failing or (share is not None and share >= params.missed_risk):
            return "risk"
        if share is not None and share >= params.missed_caution:
            return "caution"
        return ""

    def reasons(self, params: ForecastParams, subject_name: Any) -> list[str]:
        out: list[str] = []
        for sid, s in sorted(self.subjects.items(), key=lambda kv: str(subject_name(kv[0]))):
            if s.mark == NOT_ATTESTED:
                out.append(f"{subject_name(sid)}: прогноз «не аттестован»")
            elif s.mark == "2":
                out.append(f"{subject_name(sid)}: прогноз «2»")
            elif s.probabilities.get("2", 0.0) >= params.risk_probability:
                out.append(f"{subject_name(sid)}: «2» с вероятностью {s.probabilities['2']:.0%}")
        share = self.missed_share()
        if share is not None and share >= params.missed_caution:
            out.append(f"пропущено {share:.0%} занятий ({self.missed()} из {self.held()})")
        return out


@dataclass
class Forecast:
    period: Period
    as_of: dt.date
    params: ForecastParams
    students: dict[str, StudentForecast] = field(default_factory=dict)


def _numeric(mark: Any) -> Any:
    """A five-point mark's number: the platform's own, else read from the value."""
    return func.coalesce(
        mark.c.f_numeric,
        case(*[(mark.c.f_value == str(k), literal(float(k))) for k in (1, 2, 3, 4, 5)]),
    )


def _mark_rows(
    conn: Connection, platform: str, deployment: str, period: Period, as_of: dt.date
) -> Any:
    mark = version_table("mark").alias("fc_mark")
    value = _numeric(mark)
    weight = func.coalesce(mark.c.f_weight, literal(1.0))
    # weeks since the period began: the trend's abscissa
    t = (epoch(mark.c.f_date) - literal(_epoch_day(period.starts_on))) / literal(7 * 86400.0)
    return conn.execute(
        select(
            mark.c.f_student_id,
            mark.c.f_subject_id,
            func.count().label("n"),
            func.sum(weight).label("w"),
            func.sum(weight * value).label("wv"),
            func.sum(weight * value * value).label("wvv"),
            func.sum(weight * t).label("wt"),
            func.sum(weight * t * t).label("wtt"),
            func.sum(weight * value * t).label("wvt"),
        )
        .where(
            mark.c.superseded_run_id.is_(None),
            mark.c.platform == platform,
            mark.c.deployment == deployment,
            mark.c.f_final_kind.is_(None),
            mark.c.f_date.between(period.starts_on, as_of),
            or_(mark.c.f_scale.is_(None), mark.c.f_scale == "five_point"),
            value.is_not(None),
            func.coalesce(mark.c.f_weight, literal(1.0)) > 0,
        )
        .group_by(mark.c.f_student_id, mark.c.f_subject_id)
    )


def _epoch_day(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


RECENT_DAYS = 14
"""The recent window whose absences say whether the student is missing now (absences come
in spells: an illness, a family trip, a student dropping out)."""


def _attendance_rows(
    conn: Connection, platform: str, deployment: str, period: Period, as_of: dt.date
) -> Any:
    """Per student, group and subject: lessons held while in the group, missed, excused."""
    lesson = version_table("lesson").alias("fc_lesson")
    enr = version_table("enrolment").alias("fc_enr")
    absence = version_table("absence").alias("fc_absence")
    missed = and_(absence.c.f_code.is_not(None), absence.c.f_code.not_in(("ОП", "ОСВ")))
    recent = lesson.c.f_date > as_of - dt.timedelta(days=RECENT_DAYS)
    return conn.execute(
        select(
            enr.c.f_student_id,
            lesson.c.f_group_id,
            lesson.c.f_subject_id,
            func.count(func.distinct(lesson.c.external_id)).label("held"),
            func.count(func.distinct(case((missed, lesson.c.external_id)))).label("missed"),
            func.count(
                func.distinct(
                    case((and_(missed, absence.c.f_valid.is_(True)), lesson.c.external_id))
                )
            ).label("excused"),
            func.count(
                func.distinct(case((absence.c.f_code == "ОСВ", lesson.c.external_id)))
            ).label("exempt"),
            func.count(func.distinct(case((recent, lesson.c.external_id)))).label("recent_held"),
            func.count(func.distinct(case((and_(recent, missed), lesson.c.external_id)))).label(
                "recent_missed"
            ),
        )
        .select_from(lesson)
        .join(
            enr,
            and_(
                enr.c.superseded_run_id.is_(None),
                enr.c.platform == lesson.c.platform,
                enr.c.deployment == lesson.c.deployment,
                enr.c.f_group_id == lesson.c.f_group_id,
                enr.c.f_starts_on <= lesson.c.f_date,
                or_(enr.c.f_ends_on.is_(None), enr.c.f_ends_on > lesson.c.f_date),
            ),
        )
        .outerjoin(
            absence,
            and_(
                absence.c.superseded_run_id.is_(None),
                absence.c.platform == lesson.c.platform,
                absence.c.deployment == lesson.c.deployment,
                absence.c.f_student_id == enr.c.f_student_id,
                or_(
                    absence.c.f_lesson_id == lesson.c.external_id,
                    and_(absence.c.f_lesson_id.is_(None), absence.c.f_date == lesson.c.f_date),
                ),
            ),
        )
        .where(
            lesson.c.superseded_run_id.is_(None),
            lesson.c.platform == platform,
            lesson.c.deployment == deployment,
            lesson.c.f_date.between(period.starts_on, as_of),
        )
        .group_by(enr.c.f_student_id, lesson.c.f_group_id, lesson.c.f_subject_id)
    )


def _lesson_counts(
    conn: Connection, platform: str, deployment: str, period: Period, as_of: dt.date
) -> dict[tuple[str, str], tuple[int, int]]:
    """Per group and subject: lessons held so far and lessons the journal has in the period."""
    lesson = version_table("lesson").alias("fc_lessons")
    rows = conn.execute(
        select(
            lesson.c.f_group_id,
            lesson.c.f_subject_id,
            func.sum(case((lesson.c.f_date <= as_of, 1), else_=0)),
            func.count(),
        )
        .where(
            lesson.c.superseded_run_id.is_(None),
            lesson.c.platform == platform,
            lesson.c.deployment == deployment,
            lesson.c.f_date.between(period.starts_on, period.ends_on),
        )
        .group_by(lesson.c.f_group_id, lesson.c.f_subject_id)
    )
    return {(r[0], r[1]): (int(r[2] or 0), int(r[3])) for r in rows}


def _teaching_days(starts: dt.date, ends: dt.date, holidays: list[tuple[dt.date, dt.date]]) -> int:
    """Days other than Sundays and the year's vacations (каникулы) between two dates."""
    days = 0
    day = starts
    while day <= ends:
        if day.weekday() != 6 and not any(a <= day <= b for a, b in holidays):
            days += 1
        day += dt.timedelta(days=1)
    return days


def period_share(
    conn: Connection,
    platform: str,
    deployment: str,
    period: Period,
    after: dt.date | None = None,
) -> float:
    """The period's part of its school year's teaching days (among periods of its kind);
    with ``after``, the part of the period's days after that day.

    A КТП is a year's plan; its hours fall into the periods as their teaching days do."""
    table = version_table("period")
    live = (
        table.c.superseded_run_id.is_(None),
        table.c.platform == platform,
        table.c.deployment == deployment,
    )
    row = conn.execute(
        select(table.c.f_year_id, table.c.f_period_kind).where(
            *live, table.c.external_id == period.id
        )
    ).first()
    if row is None:
        return 1.0
    siblings = conn.execute(
        select(table.c.f_starts_on, table.c.f_ends_on).where(
            *live, table.c.f_year_id == row[0], table.c.f_period_kind == row[1]
        )
    ).all()
    holiday = version_table("holiday")
    vacations = [
        (r[0], r[1])
        for r in conn.execute(
            select(holiday.c.f_starts_on, holiday.c.f_ends_on).where(
                holiday.c.superseded_run_id.is_(None),
                holiday.c.platform == platform,
                holiday.c.deployment == deployment,
                holiday.c.f_year_id == row[0],
            )
        )
    ]
    whole = sum(_teaching_days(a, b, vacations) for a, b in siblings)
    first = period.starts_on if after is None else max(period.starts_on, after + dt.timedelta(1))
    own = _teaching_days(first, period.ends_on, vacations)
    return own / whole if whole else 1.0


def _plan_lessons(
    conn: Connection, platform: str, deployment: str, period: Period, as_of: dt.date
) -> dict[tuple[str, str], tuple[int, int, float]]:
    """Per group and subject: the period's lessons by the КТП, those after ``as_of``, and
    hours per lesson.

    The plan's year hours times the period's share of the year's teaching days (all, and
    those after ``as_of``), over the hours a lesson of the group-subject lasts (the
    journal's, else one)."""
    plan = version_table("plan").alias("fc_plan")
    periods = version_table("period").alias("fc_plan_period")
    year = (
        select(periods.c.f_year_id)
        .where(
            periods.c.superseded_run_id.is_(None),
            periods.c.platform == platform,
            periods.c.deployment == deployment,
            periods.c.external_id == period.id,
        )
        .scalar_subquery()
    )
    plans = conn.execute(
        select(plan.c.f_group_id, plan.c.f_subject_id, func.max(plan.c.f_total_hours))
        .where(
            plan.c.superseded_run_id.is_(None),
            plan.c.platform == platform,
            plan.c.deployment == deployment,
            or_(plan.c.f_year_id.is_(None), plan.c.f_year_id == year),
            plan.c.f_total_hours > 0,
        )
        .group_by(plan.c.f_group_id, plan.c.f_subject_id)
    ).all()
    if not plans:
        return {}
    lesson = version_table("lesson").alias("fc_plan_lesson")
    per_lesson = {
        (r[0], r[1]): float(r[2])
        for r in conn.execute(
            select(lesson.c.f_group_id, lesson.c.f_subject_id, func.avg(lesson.c.f_hours))
            .where(
                lesson.c.superseded_run_id.is_(None),
                lesson.c.platform == platform,
                lesson.c.deployment == deployment,
                lesson.c.f_date.between(period.starts_on, period.ends_on),
                lesson.c.f_hours > 0,
            )
            .group_by(lesson.c.f_group_id, lesson.c.f_subject_id)
        )
        if r[2]
    }
    share = period_share(conn, platform, deployment, period)
    left = period_share(conn, platform, deployment, period, after=as_of)
    out: dict[tuple[str, str], tuple[int, int, float]] = {}
    for group, subject, total in plans:
        each = per_lesson.get((group, subject), 1.0)
        out[(group, subject)] = (
            round(float(total) * share / each),
            round(float(total) * left / each),
            each,
        )
    return out


def planned_lessons(held: int, in_journal: int, period: Period, as_of: dt.date) -> int:
    """The period's lessons: those the journal has, or the pace so far over the whole period."""
    elapsed = (min(as_of, period.ends_on) - period.starts_on).days + 1
    length = (period.ends_on - period.starts_on).days + 1
    paced = round(held * length / elapsed) if elapsed > 0 else held
    return max(in_journal, paced, held)


def current_period(
    conn: Connection,
    platform: str,
    deployment: str,
    as_of: dt.date,
    kinds: Iterable[str],
    grace_days: int = 21,
) -> Period | None:
    """The shortest reporting period of ``kinds`` holding ``as_of``; between periods (the
    vacation after a semester, before its marks are set) and before the new period's first
    lesson, the one ended in the last ``grace_days`` days: a period nobody has taught in yet
    has nothing to forecast from, while the one just ended still awaits its marks."""
    period = version_table("period")
    rows = conn.execute(
        select(
            period.c.external_id, period.c.f_name, period.c.f_starts_on, period.c.f_ends_on
        ).where(
            period.c.superseded_run_id.is_(None),
            period.c.platform == platform,
            period.c.deployment == deployment,
            period.c.f_period_kind.in_(tuple(kinds)),
            period.c.f_starts_on <= as_of,
            period.c.f_ends_on >= as_of - dt.timedelta(days=grace_days),
        )
    ).all()
    holding = [r for r in rows if r[3] >= as_of]
    ended = [r for r in rows if r[3] < as_of]
    if holding and ended and not _taught_since(conn, platform, deployment, holding, as_of):
        holding = []
    if holding:
        r = min(holding, key=lambda r: (r[3] - r[2]).days)
    elif ended:
        r = max(ended, key=lambda r: (r[3], r[2]))
    else:
        return None
    return Period(str(r[0]), str(r[1]), r[2], r[3])


def _taught_since(
    conn: Connection, platform: str, deployment: str, periods: Sequence[Any], as_of: dt.date
) -> bool:
    """Whether the journal holds a lesson of these periods on or before ``as_of``."""
    lesson = version_table("lesson")
    start = min(r[2] for r in periods)
    found = conn.execute(
        select(lesson.c.external_id)
        .where(
            lesson.c.superseded_run_id.is_(None),
            lesson.c.platform == platform,
            lesson.c.deployment == deployment,
            lesson.c.f_date.between(start, as_of),
        )
        .limit(1)
    ).first()
    return found is not None


def compute_histories(
    conn: Connection,
    platform: str,
    deployment: str,
    period: Period,
    as_of: dt.date,
) -> list[tuple[str, str, str, History]]:
    """(student, group, subject, history) for every student with lessons of a subject so far."""
    as_of = min(as_of, period.ends_on)
    marks = {(r[0], r[1]): r for r in _mark_rows(conn, platform, deployment, period, as_of)}
    lessons = _lesson_counts(conn, platform, deployment, period, as_of)
    attendance = list(_attendance_rows(conn, platform, deployment, period, as_of))
    group_sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    student_sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    # per group-subject: lessons held, missed, and marks (over all its students)
    group_days: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for student, group, subject, held, missed, *_ in attendance:
        m = marks.get((student, subject))
        days = group_days[(group, subject)]
        days[0] += int(held)
        days[1] += int(missed)
        days[2] += int(m.n) if m is not None else 0
        if m is not None:
            for acc in (group_sums[(group, subject)], student_sums[student]):
                acc[0] += float(m.wv)
                acc[1] += float(m.w)
    by_plan = _plan_lessons(conn, platform, deployment, period, as_of)
    now = ((min(as_of, period.ends_on) - period.starts_on).days + 1) / 7
    end = ((period.ends_on - period.starts_on).days + 1) / 7
    out: list[tuple[str, str, str, History]] = []
    for row in attendance:
        student, group, subject, held, missed, excused, exempt, recent_held, recent_missed = row
        m = marks.get((student, subject))
        sums = group_sums.get((group, subject))
        own = student_sums.get(student)
        days = group_days[(group, subject)]
        held_now, in_journal = lessons.get((group, subject), (int(held), int(held)))
        plan = by_plan.get((group, subject))
        if plan is not None and plan[0] >= in_journal:
            # the КТП's lessons on the teaching days left (a journal begun late, or a
            # period over, leaves no more lessons than the calendar has days for)
            left, source = max(plan[1], in_journal - held_now), "plan"
        else:
            paced = planned_lessons(held_now, in_journal, period, as_of)
            left, source = paced - held_now, "journal" if paced == in_journal else "pace"
        history = History(
            marks=int(m.n) if m else 0,
            weight=float(m.w) if m else 0.0,
            weighted_sum=float(m.wv) if m else 0.0,
            weighted_squares=float(m.wvv) if m else 0.0,
            weighted_time=float(m.wt) if m else 0.0,
            weighted_time_squares=float(m.wtt) if m else 0.0,
            weighted_value_time=float(m.wvt) if m else 0.0,
            now=now,
            end=end,
            held=int(held),
            missed=int(missed),
            excused=int(excused),
            exempt=int(exempt),
            recent_held=int(recent_held),
            recent_missed=int(recent_missed),
            planned=int(held) + max(0, left),
            planned_from=source,
            hours_per_lesson=plan[2] if plan is not None else 1.0,
            group_mean=sums[0] / sums[1] if sums and sums[1] else None,
            group_missed_share=days[1] / days[0] if days[0] else None,
            group_mark_rate=days[2] / (days[0] - days[1]) if days[0] > days[1] else None,
            student_mean=own[0] / own[1] if own and own[1] else None,
            student_weight=own[1] if own else 0.0,
        )
        out.append((student, group, subject, history))
    return out


def compute_forecast(
    conn: Connection,
    platform: str,
    deployment: str,
    period: Period,
    as_of: dt.date,
    params: ForecastParams,
) -> Forecast:
    """Every student's forecast in every subject they had lessons of in the period so far."""
    result = Forecast(period, as_of, params)
    for student, group, subject, history in compute_histories(
        conn, platform, deployment, period, as_of
    ):
        entry = result.students.setdefault(student, StudentForecast(student, group))
        entry.subjects[subject] = forecast_subject(history, params)
    return result
