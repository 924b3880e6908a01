"""Which part of the school year a run pulls, as one value (after dlt's ``Incremental``).

An incremental run pulls from the Monday of the week ``lookback_days`` before
today (the institution's local date, taken from the server's clock) onwards;
a whole-year run pulls from the year's first day.  Platforms that count in
weeks read :attr:`Incremental.lookback_weeks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.settings import SettingsError


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Incremental:
    lookback_days: int | None = 14
    """``None``: the whole school year."""

    @classmethod
    def whole_year(cls) -> Incremental:
        return cls(None)

    @classmethod
    def last_weeks(cls, weeks: int) -> Incremental:
        return cls(weeks * 7)

    @classmethod
    def from_settings(
        cls, section: Mapping[str, Any], *, default_days: int, where: str
    ) -> Incremental:
        """``lookback_days`` or ``lookback_weeks`` of a settings table (days win)."""
        try:
            if "lookback_days" in section:
                days = int(section["lookback_days"])
            elif "lookback_weeks" in section:
                days = int(section["lookback_weeks"]) * 7
            else:
                days = default_days
        except (TypeError, ValueError):
            raise SettingsError(
                f"в файле настроек {where}: lookback_days и lookback_weeks должны быть числами"
            ) from None
        if days < 0:
            raise SettingsError(
                f"в файле настроек {where}: окно загрузки не может быть отрицательным"
            )
        return cls(days)

    def widened(self, whole_year: bool) -> Incremental:
        """This window, or the whole year when a run asks for it (``--full``, ``--whole-year``)."""
        return Incremental.whole_year() if whole_year else self

    @property
    def is_whole_year(self) -> bool:
        return self.lookback_days is None

    @property
    def lookback_weeks(self) -> int | None:
        """Whole weeks back from this week's Monday (rounded up); ``None`` for the whole year."""
        if self.lookback_days is None:
            return None
        return -(-self.lookback_days // 7)

    def start(self, today: dt.date, year_start: dt.date) -> dt.date:
        """The first day pulled."""
        if self.lookback_days is None:
            return year_start
        return monday(today - dt.timedelta(days=self.lookback_days))

    @property
    def label(self) -> str:
        """How a run scope names the window: empty for the whole year."""
        return "" if self.lookback_days is None else f"last-{self.lookback_days}-days"
