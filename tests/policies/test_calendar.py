"""Working days and deadlines: the production calendar, six-day weeks, time zones."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from policies.calendar import Vacation, WorkCalendar
from policies.deadlines import DeadlineSpec, due
from policies.profiles import PROFILE_IDS, load_profile, raw_profile

REGULATIONS = Path(os.environ.get("SVERKA_REGULATIONS", "/work/shared/regulations"))

D = dt.date


def test_moved_working_saturday_counts() -> None:
    cal = WorkCalendar("Europe/Simferopol", 5)
    assert cal.is_working_day(D(2024, 12, 28))  # Saturday moved to a working day
    assert not cal.is_working_day(D(2024, 12, 21))  # an ordinary Saturday
    # Friday 27 December + 1 working day = the moved Saturday 28 December.
    assert cal.add_working_days(D(2024, 12, 27), 1) == D(2024, 12, 28)


def test_holiday_inside_two_working_days() -> None:
    cal = WorkCalendar("Asia/Barnaul", 5)
    # 28.12.2024 (moved Saturday) + 2 working days skips 30.12–8.01 (days off) → 9 January.
    assert cal.add_working_days(D(2024, 12, 28), 2) == D(2025, 1, 10)
    assert cal.add_working_days(D(2024, 12, 27), 2) == D(2025, 1, 9)
    # 23 February 2026 is a public holiday on a Monday.
    assert cal.add_working_days(D(2026, 2, 20), 1) == D(2026, 2, 24)


def test_six_day_week() -> None:
    five = WorkCalendar("Asia/Tomsk", 5)
    six = WorkCalendar("Asia/Tomsk", 6)
    friday = D(2026, 10, 9)
    assert five.add_working_days(friday, 1) == D(2026, 10, 12)
    # «рабочих дней» follow the production calendar even in a six-day study week
    assert six.add_working_days(friday, 1) == D(2026, 10, 12)
    assert six.add_working_days(friday, 1, school_week=True) == D(2026, 10, 10)
    assert not six.is_working_day(D(2026, 10, 11), school_week=True)  # Sunday stays off
    assert not six.is_working_day(D(2026, 11, 4), school_week=True)  # public holiday stays off
    assert six.is_school_day(D(2026, 10, 10)) and not five.is_school_day(D(2026, 10, 10))


def test_regional_override_wins() -> None:
    cal = WorkCalendar("Europe/Samara", 5, overrides={D(2026, 10, 9): False})
    assert cal.add_working_days(D(2026, 10, 8), 1) == D(2026, 10, 12)


def test_deadlines_in_local_time() -> None:
    eight = DeadlineSpec(at=dt.time(20, 0))
    day = D(2026, 10, 5)
    # The same wall-clock 20:00 is a different instant in Simferopol and in Tomsk.
    assert due(WorkCalendar("Europe/Simferopol"), day, eight) == dt.datetime(
        2026, 10, 5, 17, 0, tzinfo=dt.UTC
    )
    assert due(WorkCalendar("Asia/Tomsk"), day, eight) == dt.datetime(
        2026, 10, 5, 13, 0, tzinfo=dt.UTC
    )
    # End of the day is 23:59:59 local, inclusive.
    assert due(WorkCalendar("Asia/Yekaterinburg"), day, DeadlineSpec()) == dt.datetime(
        2026, 10, 5, 18, 59, 59, tzinfo=dt.UTC
    )
    # "The end of the day after the lesson" and "2 working days" from a Friday.
    assert due(WorkCalendar("Asia/Tomsk", 6), D(2026, 10, 9), DeadlineSpec(calendar_days=1)) == (
        dt.datetime(2026, 10, 10, 16, 59, 59, tzinfo=dt.UTC)
    )
    assert due(WorkCalendar("Asia/Barnaul"), D(2026, 10, 9), DeadlineSpec(working_days=2)) == (
        dt.datetime(2026, 10, 13, 16, 59, 59, tzinfo=dt.UTC)
    )


def test_weekly_deadlines() -> None:
    friday = DeadlineSpec(weekday=4)
    cal = WorkCalendar("Europe/Simferopol")
    assert due(cal, D(2026, 10, 6), friday).date() == D(2026, 10, 9)
    last = DeadlineSpec(last_working_day_of_week=True, day_kind="school")
    six = WorkCalendar("Asia/Tomsk", 6)
    assert six.local_date(due(six, D(2026, 10, 6), last)) == D(2026, 10, 10)  # Saturday
    assert six.local_date(due(six, D(2026, 11, 2), last)) == D(2026, 11, 7)
    working = DeadlineSpec(last_working_day_of_week=True)
    assert six.local_date(due(six, D(2026, 10, 6), working)) == D(2026, 10, 9)  # Friday


def test_school_days_skip_vacations() -> None:
    cal = WorkCalendar(vacations=(Vacation(D(2026, 10, 26), D(2026, 11, 4)),))
    assert cal.is_working_day(D(2026, 10, 27)) and not cal.is_school_day(D(2026, 10, 27))


def test_epgu_answer_deadline_skips_public_holidays() -> None:
    from policies.epgu import answer_deadline

    moscow = WorkCalendar(timezone="Europe/Moscow")
    received = dt.datetime(2026, 11, 3, 7, 0, tzinfo=dt.UTC)  # Tuesday 10:00 Moscow
    # 4 November (Wednesday) is Unity Day: one working day later is Thursday's end
    assert answer_deadline(received, 1, moscow) == dt.datetime(
        2026, 11, 5, 23, 59, 59, tzinfo=ZoneInfo("Europe/Moscow")
    )
    # five working days: Thu 5, Fri 6, Mon 9, Tue 10, Wed 11
    assert answer_deadline(received, 5, moscow).date() == dt.date(2026, 11, 11)


def _tpt_spec(rule_id: str, key: str = "deadline") -> DeadlineSpec:
    return DeadlineSpec.model_validate(load_profile("tpt").setting(rule_id).params[key])


def test_tpt_working_days_follow_the_production_calendar() -> None:
    """tpt studies six days a week, but its 3-working-day administrative deadlines (4.8, 4.9,
    4.4) count working days of the production calendar; its weekly absence reasons (4.5) and
    control-work checking norms (4.6) follow the study week."""
    profile = load_profile("tpt")
    cal = WorkCalendar(profile.timezone, profile.week_days)
    for rule_id in ("contingent.movement.deadline", "contingent.card.deadline"):
        spec = _tpt_spec(rule_id)
        # Wednesday 7 October 2026 + 3: Thu 8, Fri 9, Mon 12 (the Saturday does not count)
        assert cal.local_date(due(cal, D(2026, 10, 7), spec)) == D(2026, 10, 12), rule_id
        # Thursday 30 October 2025 + 3: Fri 31, the moved working Saturday 1 November,
        # then 3 November (moved day off) and 4 November (holiday) are skipped → Wed 5
        assert cal.local_date(due(cal, D(2025, 10, 30), spec)) == D(2025, 11, 5), rule_id
    staff = _tpt_spec("staff.card.deadline")
    assert cal.local_date(due(cal, D(2026, 10, 7), staff)) == D(2026, 10, 12)
    weekly = _tpt_spec("absence.reason.deadline")
    assert cal.local_date(due(cal, D(2026, 10, 6), weekly)) == D(2026, 10, 10)  # Saturday
    control = _tpt_spec("marks.control_work.deadline", "older")
    # Wednesday 7 October + 5 study days: Thu, Fri, Sat, Mon, Tue 13
    assert cal.local_date(due(cal, D(2026, 10, 7), control)) == D(2026, 10, 13)


def test_every_counted_deadline_says_its_day_kind_in_the_regulations_words() -> None:
    """Each rule whose deadline counts working days names the kind of day it counts, and the
    profile quotes the regulation verbatim for it."""
    for profile_id in PROFILE_IDS:
        raw = raw_profile(profile_id)
        regulation = (REGULATIONS / str(raw["regulation"])).read_text(encoding="utf-8")
        for rule_id, rule in raw["rules"].items():
            params = rule.get("params", {})
            specs = [v for v in params.values() if isinstance(v, dict)]
            counted = [
                s for s in specs if s.get("working_days") or s.get("last_working_day_of_week")
            ]
            for spec in counted:
                assert spec.get("day_kind") in ("working", "school"), (profile_id, rule_id)
            if counted or params.get("working_days"):
                quote = rule.get("day_kind_quote", "")
                assert quote and quote in regulation, (profile_id, rule_id, quote)
