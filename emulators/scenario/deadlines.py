"""Deadlines as this generator reads the regulations, in the institution's own zone.

Every deadline is inclusive and whole-second: an entry at the deadline is on
time, one second later is late (20:00:00 met, 20:00:01 violated); "by the end
of day D" is D 23:59:59.  The planted ground truth carries the computed
deadline, so the policy engine can be checked against it case by case.
Parameters the regulations leave to a local act are marked ``assumed``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from emulators.scenario.calendar import WorkCalendar
from emulators.scenario.profiles import Profile

END_OF_DAY = dt.time(23, 59, 59)
EIGHT_PM = dt.time(20, 0, 0)

CONTROL_WORK_DAYS: dict[str, tuple[int, int]] = {
    "mazanka": (2, 5),  # grades 1–4: 2 working days; 5–11: 5 (3.5.11)
    "tpt": (5, 5),  # "per norms of checking written works" (4.6): assumed 5 working days
}
MOVEMENT_WORKING_DAYS = {"kpgt": 1, "mazanka": 1, "usolye": 3, "tpt": 3}
"""kpgt «оперативно» and usolye «сообщает о несоответствиях» are assumed 1 and 3 days."""
MOVEMENT_KINDS = {
    "tpt": frozenset({"expulsion", "academic_leave"}),
}
"""Movements the deadline applies to (every kind where a profile does not say)."""
CARD_WORKING_DAYS = {"tpt": 3}
STAFF_WORKING_DAYS = {"tpt": 3}
PAPER_REPORT_EVERY_DAYS = {"talmenka": 7, "mazanka": 31, "tpt": 14}
DATA_REVIEW_EVERY_MONTHS = {"mazanka": 1, "tpt": 3}
REGISTRATION_DAYS = {"mazanka": 3}
EDIT_MAX_AGE_DAYS = {"tpt": 30}
FINAL_VISIBLE_DAYS = {"usolye": 3}
AFTER_OUTAGE_WORKING_DAYS = {"talmenka": 2, "mazanka": 1}
HOMEWORK_AFTER_LAST_LESSON = {"kpgt": dt.timedelta(hours=3), "talmenka": dt.timedelta(minutes=90)}
PLAN_DAYS_BEFORE_YEAR = {"kpgt": 5, "mazanka": 1}
"""kpgt: 5 calendar days before the school year; mazanka: before 1 September."""
LESSON_AHEAD_LIMIT = {"mazanka": 5}


@dataclass
class Deadlines:
    profile: Profile
    calendar: WorkCalendar

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.profile.timezone)

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self.zone)

    def end_of(self, day: dt.date) -> dt.datetime:
        return self.at(day, END_OF_DAY)

    def same_day_limit(self) -> dt.time:
        """The latest clock time on the lesson day for the daily entries."""
        return EIGHT_PM if self.profile.id == "mazanka" else END_OF_DAY

    def topic(self, day: dt.date) -> dt.datetime:
        return self.at(day, self.same_day_limit())

    def homework(self, day: dt.date, group_last_end: dt.time) -> dt.datetime:
        limit = self.at(day, self.same_day_limit())
        after = HOMEWORK_AFTER_LAST_LESSON.get(self.profile.id)
        if after is None:
            return limit
        return min(limit, self.at(day, group_last_end) + after)

    def attendance(self, day: dt.date) -> dt.datetime:
        if self.profile.id == "tpt":
            return self.end_of(day + dt.timedelta(days=1))
        return self.at(day, self.same_day_limit())

    def marks(self, day: dt.date) -> dt.datetime:
        return self.attendance(day)

    def control_work(self, day: dt.date, grade: int | None) -> dt.datetime:
        young, old = CONTROL_WORK_DAYS[self.profile.id]
        days = young if grade is not None and grade <= 4 else old
        return self.end_of(self.calendar.add_working_days(day, days))

    def external_work(self, announced_on: dt.date) -> dt.datetime:
        return self.end_of(self.calendar.add_production_days(announced_on, 1))

    def after_outage(self, outage_end: dt.datetime) -> dt.datetime:
        days = AFTER_OUTAGE_WORKING_DAYS[self.profile.id]
        local_end = outage_end.astimezone(self.zone).date()
        # the daily entry limit (mazanka 20:00) still holds on the day entries are due
        return self.at(self.calendar.add_production_days(local_end, days), self.same_day_limit())

    def movement(self, order_date: dt.date) -> dt.datetime:
        days = MOVEMENT_WORKING_DAYS[self.profile.id]
        return self.end_of(self.calendar.add_production_days(order_date, days))

    def card(self, enrolled_on: dt.date, first_year_check: bool) -> dt.datetime:
        if self.profile.id == "kpgt" and first_year_check:
            return self.end_of(dt.date(enrolled_on.year, 9, 10))
        days = CARD_WORKING_DAYS.get(self.profile.id, 3)
        return self.end_of(self.calendar.add_production_days(enrolled_on, days))

    def staff_card(self, employed_from: dt.date) -> dt.datetime:
        return self.end_of(
            self.calendar.add_production_days(employed_from, STAFF_WORKING_DAYS["tpt"])
        )

    def absence_reason(self, absence_day: dt.date, document_date: dt.date | None) -> dt.datetime:
        if self.profile.id == "talmenka":
            if document_date is None:
                raise ValueError("talmenka's reason deadline runs from the document")
            return self.end_of(self.calendar.add_production_days(document_date, 2))
        if self.profile.id == "mazanka":
            friday = absence_day + dt.timedelta(days=(4 - absence_day.weekday()) % 7)
            return self.end_of(friday)
        # weekly: by the last working day of the absence's week
        sunday = absence_day + dt.timedelta(days=6 - absence_day.weekday())
        day = sunday
        while day > absence_day and not self.calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
        return self.end_of(day)

    def final_marks(self, period_end: dt.date) -> dt.datetime:
        return self.end_of(period_end)

    def final_visible(self, period_end: dt.date) -> dt.datetime:
        return self.end_of(period_end + dt.timedelta(days=FINAL_VISIBLE_DAYS["usolye"]))

    def edit_max_age(self, lesson_day: dt.date) -> dt.datetime:
        return self.end_of(lesson_day + dt.timedelta(days=EDIT_MAX_AGE_DAYS["tpt"]))

    def correction(self, entered: dt.datetime) -> dt.datetime:
        return self.at(entered.astimezone(self.zone).date(), EIGHT_PM)

    def plan(self, year_start: dt.date) -> dt.datetime:
        return self.end_of(year_start - dt.timedelta(days=PLAN_DAYS_BEFORE_YEAR[self.profile.id]))

    def registration(self, issued_on: dt.date) -> dt.date:
        return issued_on + dt.timedelta(days=REGISTRATION_DAYS["mazanka"])
