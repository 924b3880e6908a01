"""A report as tables: the one shape HTML, PDF and XLSX are all written from.

Every regulation report is built as a :class:`TabularReport` by a pure
function; the renderers never compute, so the figures a deputy reads on paper
are the figures in the spreadsheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float | dt.date | None
"""A date is a date to the end: XLSX gets an Excel date, HTML and PDF get DD.MM.YYYY."""


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    totals: list[Cell] | None = None
    note: str = ""
    landscape: bool = False
    """Wide tables (days of a month, subjects across) are printed on landscape pages."""

    def column(self, name: str) -> list[Cell]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def row_by(self, first: Cell) -> list[Cell]:
        for r in self.rows:
            if r[0] == first:
                return r
        raise KeyError(first)


@dataclass
class TabularReport:
    name: str
    """Machine name: the file stem and the ``sverka report <name>`` argument."""
    title: str
    """The Russian title as the regulations name it."""
    subtitle: str
    institution: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures: Sequence[str] = ("Заместитель директора",)
    generated: dt.datetime | None = None
    """When the data it shows was current (the newest observation); ``None``: now."""

    @property
    def landscape(self) -> bool:
        return any(t.landscape for t in self.tables)

    def context(self) -> dict[str, Any]:
        return {"report": self}


def pct(part: int | float, whole: int | float) -> float | None:
    """A percentage rounded to one decimal; ``None`` (shown as «—») when there is no base."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)
