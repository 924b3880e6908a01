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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, and_, case, func, literal, or_, select

from local_store.schema import version_table
from policies.profiles import Profile, ProfileError

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
    prior_marks: float = Field(0.0, ge=0)
    """How many marks' worth the group's mean weighs in a student's level.  0 by default:
    in the backtest (benchmarks/forecast.py, drifting marks) pulling a student toward the
    group hid failing students (recall of «2»/«н/а» 28–54 % with 2, 44–73 % with 0)."""
    prior_sd: float = Field(0.8, gt=0)
    """The spread of one mark assumed before a student has several."""
    min_marks: int = Field(1, ge=0)
    """Fewer marks than this by the period's end: «не аттестован»."""
    missed_caution: float = Field(0.05, ge=0, le=1)
    missed_risk: float = Field(0.10, ge=0, le=1)
    """Share of lessons missed: warning and risk (EWIMS: ≥ 10 % is chronic absence)."""
    risk_probability: float = Field(0.3, gt=0, le=1)
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
    """Lessons of the whole period (estimated)."""
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


def forecast_subject(history: History, params: ForecastParams) -> SubjectForecast:
    """One student's forecast in one subject: the model in the module docstring."""
    remaining = max(0, history.planned - history.held)
    rate = history.marks / history.held if history.held else 0.0
    marks_expected = history.marks + rate * remaining
    missed_share = history.missed / history.held if history.held else None
    common = dict(
        current_mean=history.mean,
        marks_so_far=history.marks,
        marks_expected=round(marks_expected, 1),
        held=history.held,
        missed=history.missed,
        excused=history.excused,
        planned=history.planned,
        missed_share=missed_share,
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
    if history.marks == 0 or marks_expected < params.min_marks - 1e-9:
        risks.insert(0, "мало отметок для аттестации")
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
    mean = history.weighted_sum / history.weight
    prior = history.group_mean if history.group_mean is not None else mean
    n = history.marks
    level = (n * mean + params.prior_marks * prior) / (n + params.prior_marks)
    variance = max(0.0, history.weighted_squares / history.weight - mean * mean)
    sd2 = (n * variance + params.prior_marks * params.prior_sd**2) / (n + params.prior_marks)
    # the future marks weigh as the past ones did on average
    w_each = history.weight / n
    w_future = w_each * rate * remaining
    total = history.weight + w_future
    expected = (history.weighted_sum + w_future * level) / total
    future_count = rate * remaining
    # the future mean's spread: its own marks' noise and the doubt about the level
    future_var = (sd2 / future_count if future_count > 0 else 0.0) + sd2 / (n + params.prior_marks)
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
    if mark < 5:
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
    return conn.execute(
        select(
            mark.c.f_student_id,
            mark.c.f_subject_id,
            func.count().label("n"),
            func.sum(weight).label("w"),
            func.sum(weight * value).label("wv"),
            func.sum(weight * value * value).label("wvv"),
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


def _attendance_rows(
    conn: Connection, platform: str, deployment: str, period: Period, as_of: dt.date
) -> Any:
    """Per student, group and subject: lessons held while in the group, missed, excused."""
    lesson = version_table("lesson").alias("fc_lesson")
    enr = version_table("enrolment").alias("fc_enr")
    absence = version_table("absence").alias("fc_absence")
    missed = and_(absence.c.f_code.is_not(None), absence.c.f_code.not_in(("ОП", "ОСВ")))
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


def planned_lessons(held: int, in_journal: int, period: Period, as_of: dt.date) -> int:
    """The period's lessons: those the journal has, or the pace so far over the whole period."""
    elapsed = (min(as_of, period.ends_on) - period.starts_on).days + 1
    length = (period.ends_on - period.starts_on).days + 1
    paced = round(held * length / elapsed) if elapsed > 0 else held
    return max(in_journal, paced, held)


def current_period(
    conn: Connection, platform: str, deployment: str, as_of: dt.date, kinds: Iterable[str]
) -> Period | None:
    """The shortest reporting period of ``kinds`` holding ``as_of``."""
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
            period.c.f_ends_on >= as_of,
        )
    ).all()
    if not rows:
        return None
    r = min(rows, key=lambda r: (r[3] - r[2]).days)
    return Period(str(r[0]), str(r[1]), r[2], r[3])


def compute_forecast(
    conn: Connection,
    platform: str,
    deployment: str,
    period: Period,
    as_of: dt.date,
    params: ForecastParams,
) -> Forecast:
    """Every student's forecast in every subject they had lessons of in the period so far."""
    marks = {(r[0], r[1]): r for r in _mark_rows(conn, platform, deployment, period, as_of)}
    lessons = _lesson_counts(conn, platform, deployment, period, as_of)
    attendance = list(_attendance_rows(conn, platform, deployment, period, as_of))
    group_sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for student, group, subject, *_ in attendance:
        m = marks.get((student, subject))
        if m is not None:
            acc = group_sums[(group, subject)]
            acc[0] += float(m.wv)
            acc[1] += float(m.w)
    result = Forecast(period, as_of, params)
    for student, group, subject, held, missed, excused, exempt in attendance:
        m = marks.get((student, subject))
        sums = group_sums.get((group, subject))
        held_now, in_journal = lessons.get((group, subject), (int(held), int(held)))
        history = History(
            marks=int(m.n) if m else 0,
            weight=float(m.w) if m else 0.0,
            weighted_sum=float(m.wv) if m else 0.0,
            weighted_squares=float(m.wvv) if m else 0.0,
            held=int(held),
            missed=int(missed),
            excused=int(excused),
            exempt=int(exempt),
            planned=int(held)
            + max(0, planned_lessons(held_now, in_journal, period, as_of) - held_now),
            group_mean=sums[0] / sums[1] if sums and sums[1] else None,
        )
        entry = result.students.setdefault(student, StudentForecast(student, group))
        entry.subjects[subject] = forecast_subject(history, params)
    return result
