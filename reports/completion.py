"""The deputy's teacher × day grid: who has open problems detected on which day of the week.

In the manner of openSIS's «Teacher Completion» and Gibbon's «Classes Not Registered»:
one row per responsible person, one column per day, a count where something is missing.
A pure function over the report's items, so the web page and any report can show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from reports.deputy import DeputyItem


@dataclass(frozen=True)
class GridRow:
    responsible: str
    counts: tuple[int, ...]
    """Open items first detected on each day of :attr:`CompletionGrid.days`."""

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class CompletionGrid:
    days: tuple[dt.date, ...]
    rows: tuple[GridRow, ...]


def completion_grid(
    items: Iterable[DeputyItem], last_day: dt.date, timezone: str, days: int = 7
) -> CompletionGrid:
    """Rows for the ``days`` local days ending ``last_day``, busiest responsible first."""
    zone = ZoneInfo(timezone)
    span = tuple(last_day - dt.timedelta(days=days - 1 - i) for i in range(days))
    index = {day: i for i, day in enumerate(span)}
    counts: dict[str, list[int]] = {}
    for item in items:
        if not item.is_open:
            continue
        column = index.get(item.since.astimezone(zone).date())
        if column is None:
            continue
        counts.setdefault(item.responsible, [0] * days)[column] += 1
    rows = sorted(
        (GridRow(who, tuple(c)) for who, c in counts.items()),
        key=lambda r: (-r.total, r.responsible),
    )
    return CompletionGrid(span, tuple(rows))
