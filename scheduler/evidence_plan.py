"""Sync moments derived from a profile's deadlines, its timetable and its calendar.

Under policy-catalog.md §8 a deadline D is decided (met or violated) exactly when a sync
happens at D: an entry made by D is seen by then (T ≤ D), a later one is first seen by a
sync after one at D (T0 ≥ D).  So the plan syncs at the instants deadlines fall on:

* 23:59:59 local every day (lesson day, the day after, N working days, weekly limits all end
  at the end of some day);
* the clock times a profile names (``at = "20:00"``) on every day;
* a group's last lesson plus the hours a rule gives (1.5 h, 3 h), for that group only;
* every lesson start (bell), for the groups starting a lesson then, when a rule limits how
  many lessons ahead an entry may be made (its earliest moment is a lesson's start);

and re-reads the whole period weekly and on each period's last day (``scheduler.reread``).
A finding stays «possibly» only when a planned sync did not happen (the server was down).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from local_store.schema import version_table
from policies.deadlines import DeadlineSpec
from policies.profiles import Profile
from policies.rule import get_rule

END_OF_DAY = dt.time(23, 59, 59)


@dataclass(frozen=True)
class PlannedSync:
    """One planned pull: when, of which groups (``()``: the whole journal), and why."""

    moment: dt.datetime
    groups: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    full: bool = False
    """Re-read the whole period rather than the recent window."""

    @property
    def whole_journal(self) -> bool:
        return not self.groups


@dataclass(frozen=True)
class DeadlineClocks:
    """What a profile's deadlines need: end-of-day syncs, fixed clock times, hours after the
    group's last lesson; each with the rules that need it (for the plan's reasons)."""

    end_of_day: tuple[str, ...] = ()
    at: Mapping[dt.time, tuple[str, ...]] = field(default_factory=dict)
    after_last_lesson: Mapping[float, tuple[str, ...]] = field(default_factory=dict)
    lesson_start: tuple[str, ...] = ()
    """Rules whose earliest moment is a lesson's start ("at most N lessons ahead")."""


def _specs(profile: Profile, rule_id: str) -> Iterator[DeadlineSpec]:
    """Every deadline of a rule's parameters in the profile (defaults included)."""
    params = get_rule(rule_id).params(profile.setting(rule_id))
    for name in type(params).model_fields:
        value = getattr(params, name)
        if isinstance(value, DeadlineSpec):
            yield value
    raw = profile.setting(rule_id).params
    if "at" in raw and "deadline" not in raw:
        # the flat form of ``marks.after_outage.deadline``: {working_days, at}
        yield DeadlineSpec(at=dt.time.fromisoformat(str(raw["at"])))


def deadline_clocks(profile: Profile, rules: Iterable[str] | None = None) -> DeadlineClocks:
    """The clocks the profile's checked deadline rules fall on."""
    end_of_day: list[str] = []
    at: dict[dt.time, list[str]] = {}
    after: dict[float, list[str]] = {}
    starts: list[str] = []
    for rule_id in rules if rules is not None else profile.checked_rules():
        if (
            "max_lessons_ahead"
            in type(get_rule(rule_id).params(profile.setting(rule_id))).model_fields
        ):
            starts.append(rule_id)
        for spec in _specs(profile, rule_id):
            if spec.after_last_lesson_hours is not None:
                after.setdefault(spec.after_last_lesson_hours, []).append(rule_id)
            elif spec.at is not None:
                at.setdefault(spec.at, []).append(rule_id)
            else:
                end_of_day.append(rule_id)
    return DeadlineClocks(
        end_of_day=tuple(sorted(set(end_of_day))),
        at={k: tuple(sorted(set(v))) for k, v in at.items()},
        after_last_lesson={k: tuple(sorted(set(v))) for k, v in after.items()},
        lesson_start=tuple(sorted(set(starts))),
    )


def plan_syncs(
    profile: Profile,
    last_lessons: Mapping[dt.date, Mapping[str, dt.time]],
    first_day: dt.date,
    last_day: dt.date,
    *,
    period_ends: Iterable[dt.date] = (),
    clocks: DeadlineClocks | None = None,
    lesson_starts: Mapping[dt.date, Mapping[dt.time, Iterable[str]]] | None = None,
) -> list[PlannedSync]:
    """The plan over ``first_day``..``last_day`` (local days): ``last_lessons`` maps a day to
    each group's last lesson end that day (the timetable), ``lesson_starts`` each day's lesson
    starts to the groups starting a lesson then.  Syncs at the same instant merge;
    a whole-journal sync covers the groups of a group sync at that instant."""
    from scheduler.reread import RereadPolicy

    zone = ZoneInfo(profile.timezone)
    clocks = clocks or deadline_clocks(profile)
    groups_at: dict[dt.datetime, set[str]] = {}
    reasons_at: dict[dt.datetime, set[str]] = {}
    whole_at: set[dt.datetime] = set()

    def add(moment: dt.datetime, groups: tuple[str, ...], reasons: Iterable[str]) -> None:
        groups_at.setdefault(moment, set()).update(groups)
        reasons_at.setdefault(moment, set()).update(reasons)
        if not groups:
            whole_at.add(moment)

    day = first_day
    while day <= last_day:
        # the end of every day closes the day's entries: the check, pushes and answers follow it
        add(dt.datetime.combine(day, END_OF_DAY, tzinfo=zone), (), clocks.end_of_day or ("день",))
        for clock, rules in clocks.at.items():
            add(dt.datetime.combine(day, clock, tzinfo=zone), (), rules)
        for hours, rules in clocks.after_last_lesson.items():
            for group, end in last_lessons.get(day, {}).items():
                moment = dt.datetime.combine(day, end, tzinfo=zone) + dt.timedelta(hours=hours)
                if moment.astimezone(zone).date() == day:
                    add(moment, (group,), rules)
        if clocks.lesson_start:
            for start, groups in (lesson_starts or {}).get(day, {}).items():
                bell = dt.datetime.combine(day, start, tzinfo=zone)
                add(bell, tuple(sorted(set(groups))), clocks.lesson_start)
        day += dt.timedelta(days=1)
    ordered = sorted(groups_at)
    daily = [m for m in ordered if m in whole_at and m.astimezone(zone).time() == END_OF_DAY]
    full = RereadPolicy(profile.timezone, tuple(sorted(set(period_ends)))).full_moments(daily)
    return [
        PlannedSync(
            moment=m,
            groups=() if m in whole_at else tuple(sorted(groups_at[m])),
            reasons=tuple(sorted(reasons_at[m])),
            full=m in full,
        )
        for m in ordered
    ]


def last_lessons_in_store(
    engine: Engine, first_day: dt.date, last_day: dt.date
) -> dict[dt.date, dict[str, dt.time]]:
    """Each group's last lesson end per day, from the timetable the journal pull stored."""
    lesson = version_table("lesson")
    out: dict[dt.date, dict[str, dt.time]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(lesson.c.f_date, lesson.c.f_group_id, func.max(lesson.c.f_ends_at))
            .where(
                lesson.c.superseded_run_id.is_(None),
                lesson.c.f_date >= first_day,
                lesson.c.f_date <= last_day,
                lesson.c.f_ends_at.is_not(None),
                lesson.c.f_group_id.is_not(None),
            )
            .group_by(lesson.c.f_date, lesson.c.f_group_id)
        )
        for day, group, end in rows:
            clock = end if isinstance(end, dt.time) else dt.time.fromisoformat(str(end))
            out.setdefault(day, {})[str(group)] = clock
    return out


def period_ends_in_store(engine: Engine) -> list[dt.date]:
    period = version_table("period")
    with engine.connect() as conn:
        return sorted(
            {
                d
                for (d,) in conn.execute(
                    select(period.c.f_ends_on).where(period.c.superseded_run_id.is_(None))
                )
                if isinstance(d, dt.date)
            }
        )
