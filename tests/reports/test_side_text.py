"""Issue 16: a discrepancy's two sides in words — no empty fields («номер: ,»), no ISO dates,
no English keys, no record ids."""

from __future__ import annotations

import re

from reports.evidence_text import side_text


def test_an_order_without_a_number_reads_as_russian() -> None:
    side = {
        "platform": "contingent",
        "deployment": "reg.test",
        "external_id": "order-17",
        "value": {"number": "", "order_date": "2023-08-27", "movement": "expulsion"},
    }
    assert side_text(side) == "реестр контингента: дата приказа 27.08.2023, вид отчисление"


def test_blank_and_unknown_fields_are_left_out() -> None:
    side = {
        "platform": "netschool",
        "external_id": "10",
        "value": {"number": "  ", "order_date": "2024-08-27T00:00:00", "registry_id": "R-9"},
    }
    text = side_text(side)
    assert text == "журнал («Сетевой город»): дата приказа 27.08.2024"
    assert not re.search(r"\d{4}-\d\d-\d\d|[a-z_]+:|R-9|: ,", text or "")


def test_missing_sides_and_plain_values() -> None:
    assert side_text(None) is None
    assert side_text({"platform": "journal", "external_id": None, "value": None}) == (
        "журнал: записи нет"
    )
    assert side_text({"platform": "contingent", "external_id": "s1", "value": "expelled"}) == (
        "реестр контингента: отчислен"
    )
    assert side_text({"platform": "epgu", "external_id": "a", "value": "2026-10-01"}) == (
        "ЕПГУ: 01.10.2026"
    )
    assert side_text({"platform": "weird", "external_id": "a", "value": "x"}) == (
        "другая система: x"
    )
