"""When a journal sync re-reads the whole period instead of its recent window.

An incremental sync reads the last weeks only, so an edit to an older lesson (a mark changed
a month later, which ``marks.edit.max_age`` and the immutability rules exist for) would never
be seen.  A re-read of the whole period closes that gap: once a week, and on the last day of
every reporting period, before the period-end rules (final marks, density, coverage) judge it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEKLY_REREAD_WEEKDAY = 6
"""Sunday: the week's entries are in, nobody is teaching."""


@dataclass(frozen=True)
class RereadPolicy:
    """Which sync moments re-read the whole period."""

    timezone: str
    period_ends: tuple[dt.date, ...] = ()
    weekday: int = WEEKLY_REREAD_WEEKDAY

    def full_moments(self, moments: Sequence[dt.datetime]) -> set[dt.datetime]:
        """Of the planned ``moments``, those that re-read everything: the first; the last of
        each local week (the week's ``weekday`` or the last sync before it); the last of each
        period's final day (or the last before it)."""
        if not moments:
            return set()
        zone = ZoneInfo(self.timezone)
        ordered = sorted(moments)
        chosen = {ordered[0]}
        by_week: dict[tuple[int, int], dt.datetime] = {}
        for moment in ordered:
            local = moment.astimezone(zone).date()
            anchor = local + dt.timedelta(days=(self.weekday - local.weekday()) % 7)
            key = anchor.isocalendar()[:2]
            by_week[key] = moment  # the latest moment of the week ending on ``anchor``
        chosen |= set(by_week.values())
        for end in self.period_ends:
            before = [m for m in ordered if m.astimezone(zone).date() <= end]
            if before:
                chosen.add(before[-1])
        return chosen


def period_end_days(periods: Iterable[tuple[dt.date, dt.date]]) -> tuple[dt.date, ...]:
    """The last days of the given ``(starts_on, ends_on)`` periods, sorted and distinct."""
    return tuple(sorted({end for _, end in periods}))
