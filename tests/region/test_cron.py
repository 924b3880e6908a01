"""A plan in the institution's time zone becomes the UTC cron Procrastinate fires."""

from __future__ import annotations

import pytest

from scheduler.region.cron import CronError, utc_cron


def test_evening_in_barnaul_is_afternoon_utc() -> None:
    assert utc_cron("0 21 * * *", "Asia/Barnaul") == "0 14 * * *"


def test_hours_crossing_midnight_wrap_when_days_are_free() -> None:
    assert utc_cron("30 3,21 * * *", "Asia/Tomsk") == "30 14,20 * * *"


def test_every_hour_and_seconds_field_are_kept() -> None:
    assert utc_cron("*/5 * * * * */15", "Asia/Barnaul") == "*/5 * * * * */15"


def test_day_restricted_plan_crossing_midnight_is_refused_in_russian() -> None:
    with pytest.raises(CronError, match="через полночь"):
        utc_cron("0 3 * * 1-5", "Asia/Barnaul")


def test_zone_with_summer_time_is_refused() -> None:
    with pytest.raises(CronError, match="летнее время"):
        utc_cron("0 21 * * *", "Europe/Berlin")


def test_wrong_field_count_names_the_fields() -> None:
    with pytest.raises(CronError, match="минуты, часы"):
        utc_cron("0 21 * *", "Asia/Barnaul")
