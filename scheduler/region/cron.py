"""An institution's sync plan, written in its own time zone, as the UTC cron Procrastinate fires.

Procrastinate evaluates cron expressions on UTC timestamps.  Russian time zones
have kept one offset since 2014, so a plan in local time becomes a UTC plan by
shifting the hour field; a shift that would move the day while the day fields
are restricted is refused, because it cannot be written as one cron line.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class CronError(ValueError):
    """A plan that cannot be fired as written; the message is Russian."""


FIELDS_RU = "минуты, часы, день месяца, месяц, день недели (и, шестым полем, секунды)"


def fixed_offset_hours(timezone: str, around: dt.datetime | None = None) -> int:
    """The zone's whole-hour UTC offset, the same all year; refuses zones that change it."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"неизвестный часовой пояс «{timezone}»") from None
    year = (around or dt.datetime.now(dt.UTC)).year
    offsets = {
        dt.datetime(year, month, 15, 12, tzinfo=dt.UTC).astimezone(zone).utcoffset()
        for month in range(1, 13)
    }
    if len(offsets) != 1:
        raise CronError(
            f"часовой пояс «{timezone}» переходит на летнее время; план в нём нельзя "
            "записать одним расписанием в UTC"
        )
    offset = offsets.pop()
    assert offset is not None
    seconds = int(offset.total_seconds())
    if seconds % 3600:
        raise CronError(f"смещение часового пояса «{timezone}» не кратно часу")
    return seconds // 3600


def _hours(field: str) -> list[int] | None:
    """The hours a simple hour field lists (``7``, ``7,19``); ``None`` for ``*``."""
    if field == "*":
        return None
    try:
        hours = [int(part) for part in field.split(",")]
    except ValueError:
        raise CronError(
            f"в поле часов «{field}» допускаются только «*» или числа через запятую"
        ) from None
    if any(not 0 <= h <= 23 for h in hours):
        raise CronError(f"в поле часов «{field}» час вне 0–23")
    return hours


def utc_cron(local_cron: str, timezone: str) -> str:
    """``local_cron`` (five fields, or six with seconds) in ``timezone`` as a UTC cron line."""
    fields = local_cron.split()
    if len(fields) not in (5, 6):
        raise CronError(
            f"расписание «{local_cron}» записано неверно: нужны поля через пробел — {FIELDS_RU}"
        )
    offset = fixed_offset_hours(timezone)
    hours = _hours(fields[1])
    if hours is None or offset == 0:
        return " ".join(fields)
    shifted = [h - offset for h in hours]
    if any(not 0 <= h <= 23 for h in shifted) and fields[2:5] != ["*", "*", "*"]:
        raise CronError(
            f"расписание «{local_cron}» в поясе «{timezone}» переходит через полночь по UTC, "
            "а дни в нём ограничены; запишите его без ограничения дней или в UTC"
        )
    fields[1] = ",".join(str(h % 24) for h in sorted({h % 24 for h in shifted}))
    return " ".join(fields)
