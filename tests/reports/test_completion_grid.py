"""The teacher × day grid counts open items by local detection day; resolved and older ones stay out."""

from __future__ import annotations

import datetime as dt

from reports.completion import completion_grid
from reports.deputy import DeputyItem


def item(who: str, since: dt.datetime, status: str = "open") -> DeputyItem:
    return DeputyItem(
        origin="нарушение",
        id=f"{who}{since.isoformat()}",
        rule_id="lesson.topic.deadline",
        rule_title="Тема урока в срок",
        message="нет темы",
        responsible=who,
        group="7А",
        since=since,
        evidence=(),
        how_to_fix="Внести тему",
        clause="",
        status=status,
    )


def test_grid_counts_by_local_day() -> None:
    utc = dt.UTC
    items = [
        # 20:30 UTC on 5 Oct is 01:30 on 6 Oct in Yekaterinburg (UTC+5)
        item("Котова О. И.", dt.datetime(2026, 10, 5, 20, 30, tzinfo=utc)),
        item("Котова О. И.", dt.datetime(2026, 10, 6, 9, 0, tzinfo=utc)),
        item("Ли В. С.", dt.datetime(2026, 10, 5, 9, 0, tzinfo=utc)),
        item("Ли В. С.", dt.datetime(2026, 10, 6, 9, 0, tzinfo=utc), status="resolved"),
        item("Ли В. С.", dt.datetime(2026, 9, 1, 9, 0, tzinfo=utc)),  # before the week
    ]
    grid = completion_grid(items, dt.date(2026, 10, 7), "Asia/Yekaterinburg")
    assert grid.days[0] == dt.date(2026, 10, 1) and grid.days[-1] == dt.date(2026, 10, 7)
    kotova, lee = grid.rows
    assert kotova.responsible == "Котова О. И." and kotova.counts == (0, 0, 0, 0, 0, 2, 0)
    assert lee.counts == (0, 0, 0, 0, 1, 0, 0) and lee.total == 1
