"""Reading a scenario and asking it what the world looked like at a moment.

A scenario stores each record kind as a table of rows (``columns`` + ``rows``,
compact enough for a million marks) whose columns are ``id``, ``created_at``
and the canonical model's field names.  Later edits are rows of ``edits``
(kind, id, at, field, value); a deletion is an edit of the pseudo-field
``__deleted__``.  ``views`` say where a platform deliberately shows something
else (the registry lags an order, a birth date differs, a record is missing).

:meth:`World.state_as_of` applies creations and edits up to a moment and then
a platform's view: what that platform would have shown then.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canonical.base import Platform, Record, SourceRef
from canonical.registry import record_type

FORMAT = "sverka-scenario"
FORMAT_VERSION = 1
DELETED = "__deleted__"
ABSENT = "__absent__"
"""A view field meaning "this platform does not hold the record at all"."""


class ScenarioError(ValueError):
    """A scenario file that cannot be read: says what and where."""


def parse_moment(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ScenarioError(f"момент без часового пояса: {value!r}")
    return moment


@dataclass
class Table:
    """One record kind: ``columns`` names, ``rows`` of values in that order."""

    columns: list[str]
    rows: list[list[Any]]

    def __post_init__(self) -> None:
        self.index = {name: i for i, name in enumerate(self.columns)}
        if "id" not in self.index or "created_at" not in self.index:
            raise ScenarioError("у таблицы нет столбцов id и created_at")
        created = self.index["created_at"]
        for row in self.rows:
            if isinstance(row[created], str):
                row[created] = parse_moment(row[created])

    def dicts(self) -> Iterator[dict[str, Any]]:
        columns = self.columns
        for row in self.rows:
            yield dict(zip(columns, row, strict=True))


@dataclass
class View:
    platform: str
    kind: str
    id: str
    field: str
    value: Any
    note: str = ""


@dataclass
class WorldState:
    """Records by kind and id as of one moment, each a dict of canonical field names."""

    moment: dt.datetime
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.records.get(kind, {})

    def get(self, kind: str, record_id: str) -> dict[str, Any] | None:
        return self.records.get(kind, {}).get(record_id)

    def to_records(self, kind: str, platform: Platform, deployment: str) -> list[Record]:
        """The state's rows of ``kind`` as canonical records (for tests and direct imports).

        Rows use canonical field names, so this is validation, not mapping; the
        scenario id becomes the external id.
        """
        model = record_type(kind)
        fields = set(model.model_fields) - {"source"}
        out: list[Record] = []
        for record_id, row in self.kind(kind).items():
            values = {k: v for k, v in row.items() if k in fields}
            values["source"] = SourceRef(
                platform=platform, deployment=deployment, external_id=record_id
            )
            out.append(model.model_validate(values))
        return out


@dataclass
class World:
    """A loaded scenario."""

    meta: dict[str, Any]
    tables: dict[str, Table]
    edits: list[tuple[str, str, dt.datetime, str, Any]]
    views: list[View]
    accounts: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def profile(self) -> str:
        return str(self.meta["profile"])

    @property
    def timezone(self) -> str:
        return str(self.meta["timezone"])

    @classmethod
    def load(cls, path: str | Path) -> World:
        path = Path(path)
        try:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise ScenarioError(f"файл сценария не найден: {path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ScenarioError(f"файл сценария {path} не читается как JSON: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> World:
        if data.get("format") != FORMAT:
            raise ScenarioError("это не файл сценария Сверки (нет format = sverka-scenario)")
        if data.get("version") != FORMAT_VERSION:
            raise ScenarioError(
                f"версия формата {data.get('version')!r} не поддерживается (ожидается {FORMAT_VERSION})"
            )
        tables = {
            kind: Table(list(t["columns"]), [list(r) for r in t["rows"]])
            for kind, t in data.get("tables", {}).items()
        }
        edit_table = data.get(
            "edits", {"columns": ["kind", "id", "at", "field", "value"], "rows": []}
        )
        cols = {name: i for i, name in enumerate(edit_table["columns"])}
        edits = [
            (
                row[cols["kind"]],
                row[cols["id"]],
                parse_moment(row[cols["at"]]),
                row[cols["field"]],
                row[cols["value"]],
            )
            for row in edit_table["rows"]
        ]
        edits.sort(key=lambda e: e[2])
        views = [View(**v) for v in data.get("views", [])]
        meta = {k: v for k, v in data.items() if k not in ("tables", "edits", "views", "accounts")}
        return cls(meta, tables, edits, views, list(data.get("accounts", [])))

    def kinds(self) -> list[str]:
        return sorted(self.tables)

    def state_as_of(self, moment: dt.datetime, platform: str | None = None) -> WorldState:
        """What existed at ``moment`` (created at or before it, edits applied), seen by ``platform``.

        ``platform=None`` is the institution's truth, before any platform's view.
        """
        if moment.tzinfo is None:
            raise ScenarioError("момент без часового пояса")
        state = WorldState(moment)
        for kind, table in self.tables.items():
            created = table.index["created_at"]
            ident = table.index["id"]
            columns = table.columns
            bucket: dict[str, dict[str, Any]] = {}
            for row in table.rows:
                if row[created] <= moment:
                    bucket[row[ident]] = dict(zip(columns, row, strict=True))
            state.records[kind] = bucket
        for kind, record_id, at, name, value in self.edits:
            if at > moment:
                break
            record = state.records.get(kind, {}).get(record_id)
            if record is None:
                continue
            if name == DELETED:
                del state.records[kind][record_id]
            else:
                record[name] = value
        if platform is not None:
            self._apply_views(state, platform)
        return state

    def _apply_views(self, state: WorldState, platform: str) -> None:
        for view in self.views:
            if view.platform != platform:
                continue
            record = state.records.get(view.kind, {}).get(view.id)
            if record is None:
                continue
            if view.field == ABSENT:
                del state.records[view.kind][view.id]
            else:
                record[view.field] = view.value

    def edits_between(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, str, dt.datetime, str, Any]]:
        """Edits made in (start, end]: what a sync at ``end`` should find changed since ``start``."""
        return [e for e in self.edits if start < e[2] <= end]

    def edits_by_record(self) -> dict[tuple[str, str], list[tuple[dt.datetime, str, Any]]]:
        grouped: dict[tuple[str, str], list[tuple[dt.datetime, str, Any]]] = defaultdict(list)
        for kind, record_id, at, name, value in self.edits:
            grouped[(kind, record_id)].append((at, name, value))
        return grouped

    def accounts_for(self, role: str | None = None) -> list[dict[str, Any]]:
        return [a for a in self.accounts if role is None or a.get("role") == role]
