"""Accumulating a scenario: tables of rows, edits, views, accounts and the ground truth.

Rows are plain lists in column order (a college-year has a million marks);
moments are written once, as ISO strings with the institution's offset, by
:class:`Clock`, which caches the offset per day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from canonical.registry import record_type

Row = list[Any]


class Clock:
    """Formats local moments of one time zone as aware ISO strings, fast."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._prefix: dict[dt.date, str] = {}
        self._offset: dict[dt.date, str] = {}

    def offset(self, day: dt.date) -> str:
        found = self._offset.get(day)
        if found is None:
            moment = dt.datetime.combine(day, dt.time(12), tzinfo=self.zone)
            found = moment.isoformat()[-6:]
            self._offset[day] = found
        return found

    def stamp(self, day: dt.date, seconds: int) -> str:
        """``day`` at ``seconds`` after local midnight (0 ≤ seconds < 86400)."""
        prefix = self._prefix.get(day)
        if prefix is None:
            prefix = day.isoformat() + "T"
            self._prefix[day] = prefix
        h, rest = divmod(seconds, 3600)
        m, s = divmod(rest, 60)
        return f"{prefix}{h:02d}:{m:02d}:{s:02d}{self.offset(day)}"

    def at(self, day: dt.date, time: dt.time) -> str:
        return self.stamp(day, time.hour * 3600 + time.minute * 60 + time.second)

    def iso(self, moment: dt.datetime) -> str:
        """An aware moment written in the institution's zone."""
        local = moment.astimezone(self.zone)
        return self.stamp(local.date(), local.hour * 3600 + local.minute * 60 + local.second)

    def parse(self, value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value).astimezone(self.zone)


def seconds_of(time: dt.time) -> int:
    return time.hour * 3600 + time.minute * 60 + time.second


class TableBuilder:
    """One record kind: its columns (``id``, ``created_at``, canonical fields) and rows."""

    def __init__(self, kind: str, columns: list[str]) -> None:
        model_fields = set(record_type(kind).model_fields) - {"source"}
        unknown = [c for c in columns if c not in model_fields]
        if unknown:
            raise ValueError(f"{kind}: not canonical fields: {unknown}")
        self.kind = kind
        self.columns = ["id", "created_at", *columns]
        self.index = {name: i for i, name in enumerate(self.columns)}
        self.rows: list[Row] = []
        self.by_id: dict[str, Row] = {}

    def add(self, record_id: str, created_at: str, **values: Any) -> Row:
        unknown = set(values) - set(self.index)
        if unknown:
            raise ValueError(f"{self.kind}: unknown columns {sorted(unknown)}")
        row: Row = [None] * len(self.columns)
        row[0] = record_id
        row[1] = created_at
        for name, value in values.items():
            row[self.index[name]] = value
        self.rows.append(row)
        self.by_id[record_id] = row
        return row

    def append(self, row: Row) -> None:
        """Fast path for bulk kinds: ``row`` already in column order."""
        self.rows.append(row)
        self.by_id[row[0]] = row

    def get(self, row: Row, name: str) -> Any:
        return row[self.index[name]]

    def set(self, row: Row, name: str, value: Any) -> None:
        row[self.index[name]] = value

    def to_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows}


@dataclass
class TruthCase:
    rule_id: str
    entity_kind: str
    entity_id: str
    case: str
    expected: str = "violated"
    made_at: str | None = None
    deadline: str | None = None
    condition: str | None = None
    period_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "entity_kind": self.entity_kind,
            "entity_id": self.entity_id,
            "case": self.case,
            "expected": self.expected,
        }
        for name in ("made_at", "deadline", "condition", "period_id"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.details:
            out["details"] = self.details
        return out


@dataclass
class Discrepancy:
    kind: str
    """What reconciliation should report: ``registry_lags_order``, ``birth_date_differs``…"""
    entity_kind: str
    entity_id: str
    platforms: list[str]
    cause: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "entity_kind": self.entity_kind,
            "entity_id": self.entity_id,
            "platforms": self.platforms,
            "cause": self.cause,
        }
        if self.details:
            out["details"] = self.details
        return out


@dataclass
class ScenarioBuilder:
    clock: Clock
    tables: dict[str, TableBuilder] = field(default_factory=dict)
    edits: list[Row] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    cases: list[TruthCase] = field(default_factory=list)
    near_misses: list[TruthCase] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    not_planted: list[dict[str, str]] = field(default_factory=list)
    _counters: dict[str, int] = field(default_factory=dict)

    def table(self, kind: str, columns: list[str]) -> TableBuilder:
        found = self.tables.get(kind)
        if found is None:
            found = TableBuilder(kind, columns)
            self.tables[kind] = found
        return found

    def next_id(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}{n}"

    def edit(self, kind: str, record_id: str, at: str, name: str, value: Any) -> None:
        self.edits.append([kind, record_id, at, name, value])

    def view(
        self, platform: str, kind: str, record_id: str, name: str, value: Any, note: str
    ) -> None:
        self.views.append(
            {
                "platform": platform,
                "kind": kind,
                "id": record_id,
                "field": name,
                "value": value,
                "note": note,
            }
        )
