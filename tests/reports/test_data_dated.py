"""Reports are dated by the data they show and cover the period the data covers."""

from __future__ import annotations

import datetime as dt

from reports.render import tabular_html
from reports.tabular import Table, TabularReport


def test_tabular_report_is_dated_by_its_data() -> None:
    report = TabularReport(
        "itogi", "Итоги успеваемости", "", "Школа", [Table("Таблица", ["Группа"], [["5А"]])]
    )
    report.generated = dt.datetime(2025, 1, 12, 16, 59, 59, tzinfo=dt.UTC)
    assert "Дата составления: 12.01.2025" in tabular_html(report)
