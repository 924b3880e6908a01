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

import bisect
import datetime as dt
import gc
import gzip
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
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


LARGE_WORLD_ROWS = 200_000


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
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise ScenarioError(
                    f"строка {row[0] if row else '?'}: {len(row)} значений, а столбцов {width}"
                )
        if self.rows:
            self._parse_columns()
        self.reindex()

    def _parse_columns(self) -> None:
        """Parse ``created_at`` and share one object per repeated value, column by column.

        A college-year holds a million marks whose dates and student, lesson and
        subject ids repeat: sharing them keeps a loaded world a fraction of
        the size.  Done on columns (``zip``/``map``) because it is several times
        faster than touching every cell in Python.
        """
        created = self.index["created_at"]
        ident = self.index["id"]
        columns: list[tuple[Any, ...]] = list(zip(*self.rows, strict=True))
        columns[created] = tuple(
            parse_moment(v) if isinstance(v, str) else v for v in columns[created]
        )
        for i, values in enumerate(columns):
            if i in (created, ident):
                continue
            shared: dict[Any, Any] = {}
            try:
                columns[i] = tuple(map(shared.setdefault, values, values))
            except TypeError:  # lists (roles) are not hashable: leave the column as is
                continue
        self.rows[:] = [list(row) for row in zip(*columns, strict=True)]

    def reindex(self) -> None:
        """Order rows by creation so ``state_as_of`` finds "created by then" with a bisection.

        Call again after changing ``created_at`` of rows in place (appending
        rows is noticed).
        """
        created = self.index["created_at"]
        keys = [row[created].timestamp() for row in self.rows]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self._order = order
        self._created = [keys[i] for i in order]
        rank = [0] * len(order)
        for position, i in enumerate(order):
            rank[i] = position
        self._rank = rank
        self._by_value: dict[int, dict[Any, list[int]]] = {}

    def positions(self, column: int, value: Any) -> list[int]:
        """Indices of rows whose ``column`` holds ``value`` as created (an index built on first use)."""
        if len(self.rows) != len(self._order):
            self.reindex()
        index = self._by_value.get(column)
        if index is None:
            index = {}
            for i, row in enumerate(self.rows):
                try:
                    index.setdefault(row[column], []).append(i)
                except TypeError:  # an unhashable value (a list) is never looked up
                    continue
            self._by_value[column] = index
        try:
            return index.get(value, [])
        except TypeError:
            return []

    def created_matching(
        self, moment: dt.datetime, column: int, values: Iterable[Any]
    ) -> list[list[Any]]:
        """Rows created by ``moment`` whose ``column`` holds one of ``values`` (as created)."""
        if len(self.rows) != len(self._order):
            self.reindex()
        cut = bisect.bisect_right(self._created, moment.timestamp())
        rank = self._rank
        found = sorted(i for v in values for i in self.positions(column, v) if rank[i] < cut)
        return [self.rows[i] for i in found]

    def created_by(self, moment: dt.datetime) -> Iterator[list[Any]]:
        """Rows created at or before ``moment``, in creation order."""
        rows = self.rows
        if len(rows) != len(self._order):
            self.reindex()
        for i in self._order[: bisect.bisect_right(self._created, moment.timestamp())]:
            yield rows[i]

    def dicts(self) -> Iterator[dict[str, Any]]:
        columns = self.columns
        for row in self.rows:
            yield dict(zip(columns, row, strict=True))


def _conditions(
    table: Table, where: Mapping[str, Any] | None
) -> list[tuple[int, Callable[[Any], bool]]] | None:
    """Column tests for ``where``, or ``None`` when it does not apply to this table."""
    if not where or any(name not in table.index for name in where):
        return None
    tests: list[tuple[int, Callable[[Any], bool]]] = []
    for name, wanted in where.items():
        if isinstance(wanted, set | frozenset | list | tuple):
            tests.append((table.index[name], frozenset(wanted).__contains__))
        else:
            tests.append((table.index[name], wanted.__eq__))
    return tests


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
        # Millions of fresh lists make the cyclic collector rescan the heap again
        # and again (three times slower); none of them can form a cycle.
        enabled = gc.isenabled()
        gc.disable()
        try:
            try:
                opener = gzip.open if path.suffix == ".gz" else open
                with opener(path, "rt", encoding="utf-8") as handle:
                    data = json.load(handle)
            except FileNotFoundError:
                raise ScenarioError(f"файл сценария не найден: {path}") from None
            except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
                raise ScenarioError(f"файл сценария {path} не читается как JSON: {exc}") from None
            world = cls.from_dict(data)
            del data
        finally:
            if enabled:
                gc.enable()
        if world.size() > LARGE_WORLD_ROWS:
            gc.freeze()  # the loaded world lives as long as the process: keep GC off it
        return world

    def size(self) -> int:
        """Rows in all tables."""
        return sum(len(t.rows) for t in self.tables.values())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> World:
        if data.get("format") != FORMAT:
            raise ScenarioError("это не файл сценария Сверки (нет format = sverka-scenario)")
        if data.get("version") != FORMAT_VERSION:
            raise ScenarioError(
                f"версия формата {data.get('version')!r} не поддерживается (ожидается {FORMAT_VERSION})"
            )
        tables = {
            kind: Table(list(t["columns"]), list(t["rows"]))
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

    def state_as_of(
        self,
        moment: dt.datetime,
        platform: str | None = None,
        kinds: Iterable[str] | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> WorldState:
        """What existed at ``moment`` (created at or before it, edits applied), seen by ``platform``.

        ``platform=None`` is the institution's truth, before any platform's view.
        ``kinds`` limits the work to those record kinds, and ``where`` (column →
        value, or a set/list/tuple of values) to the records of those kinds
        that hold all these columns and match them after edits: an emulator
        serving one group's marks need not build a million-row state.
        """
        if moment.tzinfo is None:
            raise ScenarioError("момент без часового пояса")
        wanted = None if kinds is None else set(kinds)
        state = WorldState(moment)
        edit_index = self._edit_index()
        for kind, table in self.tables.items():
            if wanted is not None and kind not in wanted:
                continue
            ident = table.index["id"]
            columns = table.columns
            conditions = _conditions(table, where)
            rows: Iterable[list[Any]] = table.created_by(moment)
            moments, entries = edit_index.get(kind, ([], []))
            cut = bisect.bisect_right(moments, moment)
            if conditions is not None and where is not None:
                touched = {rid for rid, name, _ in entries[:cut] if name in where}
                first_name, first_values = next(iter(where.items()))
                values = (
                    first_values
                    if isinstance(first_values, set | frozenset | list | tuple)
                    else (first_values,)
                )
                candidates = table.created_matching(moment, table.index[first_name], values)
                if touched:
                    seen = {row[ident] for row in candidates}
                    candidates += [
                        row
                        for row in table.created_by(moment)
                        if row[ident] in touched and row[ident] not in seen
                    ]
                rows = [
                    row
                    for row in candidates
                    if row[ident] in touched or all(test(row[i]) for i, test in conditions)
                ]
            bucket = {row[ident]: dict(zip(columns, row, strict=True)) for row in rows}
            for record_id, name, value in entries[:cut]:
                record = bucket.get(record_id)
                if record is None:
                    continue
                if name == DELETED:
                    del bucket[record_id]
                else:
                    record[name] = value
            if conditions is not None:
                bucket = {
                    rid: rec
                    for rid, rec in bucket.items()
                    if all(test(rec[columns[i]]) for i, test in conditions)
                }
            state.records[kind] = bucket
        if platform is not None:
            self._apply_views(state, platform)
        return state

    def _edit_index(self) -> dict[str, tuple[list[dt.datetime], list[tuple[str, str, Any]]]]:
        """Edits per kind in time order (built once; rebuilt if ``edits`` was replaced or grew)."""
        key = (id(self.edits), len(self.edits))
        cached = self.extra.get("_edit_index")
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
        index: dict[str, tuple[list[dt.datetime], list[tuple[str, str, Any]]]] = {}
        for kind, record_id, at, name, value in self.edits:
            moments, entries = index.setdefault(kind, ([], []))
            moments.append(at)
            entries.append((record_id, name, value))
        self.extra["_edit_index"] = (key, index)
        return index

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
