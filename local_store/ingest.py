"""Ingest: turn a canonical snapshot of one scope into the store's change set.

A *snapshot* is everything a source showed for one *scope* (for example one
group's journal for one week) for a set of record kinds.  Ingesting it
compares it with what the store last saw in that scope and records:

- a new record: a new entity and its first version;
- a changed record: the old version is superseded by this run, a new version
  starts, and its ``prev_seen_run_id`` is the last run that saw the old one;
- an unchanged record: its version's ``last_seen_run_id`` moves to this run;
- a record missing from the scope: marked removed by this run, never deleted.

Planning and applying are separate steps so that a guard (the mass-change
hold) can look at the plan before anything is written.  Everything one call of
:func:`ingest` writes happens in one transaction: an error leaves the store as
it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    func,
    insert,
    select,
    update,
)

from canonical.base import Record
from local_store.schema import entity, field_column, run_scope, version_table

_CHUNK = 500
_UPDATE_CHUNK = 1000

Key = tuple[str, str, str]
"""(platform, deployment, external_id) of a record within one kind."""


class IngestError(ValueError):
    """A snapshot that cannot be ingested as given (duplicate keys, wrong kinds…)."""


@dataclass(frozen=True)
class Snapshot:
    """What a source showed for ``scope``, complete for each kind in ``kinds``."""

    scope: str
    kinds: frozenset[str]
    records: Sequence[Record]
    unread: frozenset[Key] = frozenset()
    """Records the source showed but the mapping could not read: never taken as removed."""

    @classmethod
    def of(
        cls,
        scope: str,
        records: Sequence[Record],
        kinds: Iterable[str] = (),
        unread: Iterable[Key] = (),
    ) -> Snapshot:
        """A snapshot complete for the given kinds plus every kind present in ``records``."""
        return cls(scope, frozenset(kinds) | {r.kind for r in records}, records, frozenset(unread))


@dataclass
class KindCounts:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }


@dataclass
class _Existing:
    entity_id: int
    scope: str
    removed: bool
    version_id: int | None
    content_hash: str | None
    last_seen_run_id: int | None
    key: Key = ("", "", "")


@dataclass
class KindPlan:
    """The planned changes for one kind in one scope."""

    kind: str
    new: list[tuple[Record, str]] = field(default_factory=list)
    """Records never seen before, with their content hash."""
    reappeared: list[tuple[Record, str, int]] = field(default_factory=list)
    """Records seen before, removed since, back now: (record, hash, entity id)."""
    changed: list[tuple[Record, str, _Existing]] = field(default_factory=list)
    unchanged: list[_Existing] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    """Entity ids that now belong to this scope."""
    removed: list[_Existing] = field(default_factory=list)

    def counts(self) -> KindCounts:
        return KindCounts(
            added=len(self.new) + len(self.reappeared),
            changed=len(self.changed),
            removed=len(self.removed),
            unchanged=len(self.unchanged),
        )


@dataclass
class ScopePlan:
    scope: str
    prev_run_id: int | None
    kinds: list[KindPlan]


@dataclass
class IngestResult:
    """Counts per kind, summed over every snapshot of one ingest."""

    counts: dict[str, KindCounts] = field(default_factory=lambda: defaultdict(KindCounts))

    def add(self, kind: str, other: KindCounts) -> None:
        mine = self.counts[kind]
        mine.added += other.added
        mine.changed += other.changed
        mine.removed += other.removed
        mine.unchanged += other.unchanged

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: c.as_dict() for kind, c in sorted(self.counts.items())}

    def merge(self, other: IngestResult) -> None:
        for kind, counts in other.counts.items():
            self.add(kind, counts)


def ingest(engine: Engine, run_id: int, snapshots: Snapshot | Iterable[Snapshot]) -> IngestResult:
    """Record every snapshot for ``run_id`` in one transaction and return the counts.

    The snapshots are planned and written together (a few statements per kind, whatever
    the number of scopes) unless one record of the store concerns two of them: then each
    is planned against what the one before wrote, as if ingested one by one.
    """
    if isinstance(snapshots, Snapshot):
        snapshots = [snapshots]
    snapshots = list(snapshots)
    result = IngestResult()
    with engine.begin() as conn:
        plans = plan_snapshots(conn, run_id, snapshots, independent=True)
        if plans is None:
            plans = []
            for snapshot in snapshots:
                plan = plan_snapshot(conn, run_id, snapshot)
                apply_plan(conn, run_id, plan)
                plans.append(plan)
        else:
            apply_plans(conn, run_id, plans)
        for plan in plans:
            for kind_plan in plan.kinds:
                result.add(kind_plan.kind, kind_plan.counts())
    _refresh_statistics(engine, result)
    return result


_ANALYZE_AFTER_ROWS = 2_000


def _refresh_statistics(engine: Engine, result: IngestResult) -> None:
    """Let PostgreSQL's planner know that a bulk load happened.

    A first pull fills empty tables faster than autovacuum analyses them, and a
    planner that still believes ``entity`` is empty scans it whole for every
    key lookup: ingest slows down quadratically.  SQLite needs nothing here.
    """
    if engine.dialect.name != "postgresql":
        return
    added = {kind: c.added for kind, c in result.counts.items() if c.added >= _ANALYZE_AFTER_ROWS}
    if not added:
        return
    tables = ["entity", *(version_table(kind).name for kind in sorted(added))]
    with engine.begin() as conn:
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table}")


def plan_snapshot(conn: Connection, run_id: int, snapshot: Snapshot) -> ScopePlan:
    """Compare a snapshot with the store; write nothing."""
    plans = plan_snapshots(conn, run_id, [snapshot])
    assert plans is not None
    return plans[0]


def plan_snapshots(
    conn: Connection, run_id: int, snapshots: Sequence[Snapshot], *, independent: bool = False
) -> list[ScopePlan] | None:
    """Compare every snapshot with the store as it is now; write nothing.

    The store is read for all snapshots at once: per kind, one query per chunk of
    scopes, of keys and of entities, not one set per scope.  Each plan is the one
    :func:`plan_snapshot` would make alone.  With ``independent`` the answer is ``None``
    when the plans would interact (a scope twice, or one entity or new key concerning
    two snapshots), so that applying one would change what the next should plan.
    """
    grouped = [_group_records(snapshot) for snapshot in snapshots]
    scopes = [snapshot.scope for snapshot in snapshots]
    if independent and len(set(scopes)) < len(scopes):
        return None
    previous = _previous_runs(conn, run_id, scopes)
    kinds = sorted({kind for snapshot in snapshots for kind in snapshot.kinds})
    plans = [ScopePlan(snapshot.scope, previous.get(snapshot.scope), []) for snapshot in snapshots]
    for kind in kinds:
        wanted = [(i, grouped[i].get(kind, {})) for i, s in enumerate(snapshots) if kind in s.kinds]
        store = _StoreView.load(conn, kind, [(scopes[i], records) for i, records in wanted])
        concerned: set[int | Key] = set()
        for i, records in wanted:
            existing = store.existing(scopes[i], records)
            if independent:
                mine: set[int | Key] = {old.entity_id for old in existing.values()}
                mine |= {key for key in records if key not in existing}
                if mine & concerned:
                    return None
                concerned |= mine
            plans[i].kinds.append(
                _plan_kind(existing, scopes[i], kind, records, snapshots[i].unread)
            )
    return plans


def _previous_runs(conn: Connection, run_id: int, scopes: Sequence[str]) -> dict[str, int]:
    """The newest run before ``run_id`` that covered each scope."""
    out: dict[str, int] = {}
    for chunk in _chunks(sorted(set(scopes)), _chunk_size(conn)):
        for scope, prev in conn.execute(
            select(run_scope.c.scope, func.max(run_scope.c.run_id))
            .where(_member(conn, run_scope.c.scope, chunk), run_scope.c.run_id < run_id)
            .group_by(run_scope.c.scope)
        ):
            out[scope] = int(prev)
    return out


def apply_plan(conn: Connection, run_id: int, plan: ScopePlan) -> None:
    """Write a planned change set for ``run_id`` (inside the caller's transaction)."""
    apply_plans(conn, run_id, [plan])


def apply_plans(conn: Connection, run_id: int, plans: Sequence[ScopePlan]) -> None:
    """Write planned change sets for ``run_id`` (inside the caller's transaction).

    The same rows as applying each plan in turn, in the same order, but a few
    statements per kind for all of them: each kind's new entities in one batch, each
    kind's versions in one, and every update as one statement per chunk of ids.
    """
    seen: set[str] = set()
    for plan in plans:
        if plan.scope in seen:
            raise IngestError(f"scope {plan.scope!r} was already ingested by run {run_id}")
        seen.add(plan.scope)
    already: set[str] = set()
    for chunk in _chunks(sorted(seen), _chunk_size(conn)):
        already.update(
            conn.execute(
                select(run_scope.c.scope).where(
                    run_scope.c.run_id == run_id, _member(conn, run_scope.c.scope, chunk)
                )
            ).scalars()
        )
    for plan in plans:
        if plan.scope in already:
            raise IngestError(f"scope {plan.scope!r} was already ingested by run {run_id}")
    if not plans:
        return
    conn.execute(insert(run_scope), [{"run_id": run_id, "scope": plan.scope} for plan in plans])
    entity_ids = _insert_entities(conn, run_id, plans)
    by_kind: dict[str, list[tuple[ScopePlan, KindPlan]]] = defaultdict(list)
    for plan in plans:
        for kind_plan in plan.kinds:
            by_kind[kind_plan.kind].append((plan, kind_plan))
    for kind, kind_plans in by_kind.items():
        _apply_kind(conn, run_id, kind, kind_plans, entity_ids)


def _group_records(snapshot: Snapshot) -> dict[str, dict[Key, Record]]:
    grouped: dict[str, dict[Key, Record]] = defaultdict(dict)
    for record in snapshot.records:
        if record.kind not in snapshot.kinds:
            raise IngestError(f"record of kind {record.kind!r} outside the snapshot's kinds")
        key = record.source.key()
        bucket = grouped[record.kind]
        if key in bucket:
            raise IngestError(
                f"scope {snapshot.scope!r}: {record.kind} {key[2]!r} appears twice in one snapshot"
            )
        bucket[key] = record
    return grouped


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _member(conn: Connection, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)``: one bound value each, so the planner sees how many there are
    (as one array parameter PostgreSQL cannot, and on a table without statistics it then
    scans the table)."""
    result: ColumnElement[bool] = column.in_(values)
    return result


def _chunk_size(conn: Connection, sqlite_size: int = _CHUNK) -> int:
    """Values per membership test."""
    return sqlite_size


_ENTITY_COLUMNS = (
    entity.c.id,
    entity.c.platform,
    entity.c.deployment,
    entity.c.external_id,
    entity.c.scope,
    entity.c.removed_run_id,
)


@dataclass
class _StoreView:
    """What the store holds of one kind for a set of scopes and keys, read in a few queries."""

    in_scope: dict[str, list[_Existing]]
    by_key: dict[Key, _Existing]

    @classmethod
    def load(
        cls, conn: Connection, kind: str, wanted: Sequence[tuple[str, dict[Key, Record]]]
    ) -> _StoreView:
        """The entities of these scopes and of these keys, with their current versions.

        Narrow indexed lookups rather than one join: on a freshly filled PostgreSQL
        table without statistics the planner would otherwise scan the whole version
        table.
        """
        select_entities = select(*_ENTITY_COLUMNS)
        rows: list[Any] = []
        size = _chunk_size(conn)
        for chunk in _chunks(sorted({scope for scope, _ in wanted}), size):
            rows.extend(
                conn.execute(
                    select_entities.where(
                        entity.c.kind == kind, _member(conn, entity.c.scope, chunk)
                    )
                )
            )
        known = {(r[1], r[2], r[3]) for r in rows}
        by_source: dict[tuple[str, str], set[str]] = defaultdict(set)
        for _, records in wanted:
            for platform, deployment, external_id in records:
                if (platform, deployment, external_id) not in known:
                    by_source[(platform, deployment)].add(external_id)
        for (platform, deployment), ids in by_source.items():
            for chunk in _chunks(sorted(ids), size):
                rows.extend(
                    conn.execute(
                        select_entities.where(
                            entity.c.kind == kind,
                            entity.c.platform == platform,
                            entity.c.deployment == deployment,
                            _member(conn, entity.c.external_id, chunk),
                        )
                    )
                )
        table = version_table(kind)
        current: dict[int, tuple[int, str, int]] = {}
        for chunk in _chunks([r[0] for r in rows], size):
            for version in conn.execute(
                select(
                    table.c.entity_id, table.c.id, table.c.content_hash, table.c.last_seen_run_id
                ).where(
                    _member(conn, table.c.entity_id, chunk), table.c.superseded_run_id.is_(None)
                )
            ):
                current[version[0]] = (version[1], version[2], version[3])
        view = cls(defaultdict(list), {})
        for row in rows:
            version_id, content_hash, last_seen = current.get(row[0], (None, None, None))
            old = _Existing(
                entity_id=row[0],
                scope=row[4],
                removed=row[5] is not None,
                version_id=version_id,
                content_hash=content_hash,
                last_seen_run_id=last_seen,
            )
            view.by_key[(row[1], row[2], row[3])] = old
        for key, old in view.by_key.items():
            view.in_scope[old.scope].append(old)
            old.key = key
        return view

    def existing(self, scope: str, records: dict[Key, Record]) -> dict[Key, _Existing]:
        """What one scope's snapshot is compared with: the scope's entities and its keys'."""
        found = {old.key: old for old in self.in_scope.get(scope, ())}
        for key in records:
            if key not in found:
                old = self.by_key.get(key)
                if old is not None:
                    found[key] = old
        return found


def _plan_kind(
    existing: dict[Key, _Existing],
    scope: str,
    kind: str,
    records: dict[Key, Record],
    unread: frozenset[Key] = frozenset(),
) -> KindPlan:
    plan = KindPlan(kind)
    for key, record in records.items():
        content_hash = record.content_hash()
        old = existing.get(key)
        if old is None:
            plan.new.append((record, content_hash))
            continue
        if old.scope != scope:
            plan.moved.append(old.entity_id)
        if old.removed or old.version_id is None:
            plan.reappeared.append((record, content_hash, old.entity_id))
        elif old.content_hash == content_hash:
            plan.unchanged.append(old)
        else:
            plan.changed.append((record, content_hash, old))
    for key, old in existing.items():
        if key not in records and key not in unread and old.scope == scope and not old.removed:
            plan.removed.append(old)
    return plan


def _version_row(
    record: Record,
    content_hash: str,
    entity_id: int,
    run_id: int,
    prev_seen_run_id: int | None,
) -> dict[str, Any]:
    platform, deployment, external_id = record.source.key()
    row: dict[str, Any] = {
        "entity_id": entity_id,
        "platform": platform,
        "deployment": deployment,
        "external_id": external_id,
        "content_hash": content_hash,
        "first_seen_run_id": run_id,
        "last_seen_run_id": run_id,
        "prev_seen_run_id": prev_seen_run_id,
        "superseded_run_id": None,
    }
    values = record.__dict__
    for name, column in _field_columns(type(record)):
        row[column] = values[name]
    return row


@cache
def _field_columns(model: type[Record]) -> tuple[tuple[str, str], ...]:
    """(field, column) of every stored field of a record type, built once per type."""
    return tuple((name, field_column(name)) for name in model.model_fields if name != "source")


def _insert_entities(
    conn: Connection, run_id: int, plans: Sequence[ScopePlan]
) -> dict[tuple[str, Key], int]:
    """Insert the entities of every plan's new records, in plan order; their ids by (kind, key).

    A plain executemany (INSERT … RETURNING in parameter order runs one row per statement
    on SQLite, and one statement of thousands of parameters parses slowly on PostgreSQL);
    the new entities are read back per kind by the scopes' index: a scope is ingested once
    per run, so those first seen by this run under these scopes are these (and any moved
    in earlier in the run, which the keys tell apart).
    """
    rows = [
        {
            "kind": kind_plan.kind,
            "platform": record.source.platform.value,
            "deployment": record.source.deployment,
            "external_id": record.source.external_id,
            "scope": plan.scope,
            "first_seen_run_id": run_id,
            "removed_run_id": None,
        }
        for plan in plans
        for kind_plan in plan.kinds
        for record, _ in kind_plan.new
    ]
    if not rows:
        return {}
    conn.execute(insert(entity), rows)
    scopes: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        scopes[str(row["kind"])].add(str(row["scope"]))
    ids: dict[tuple[str, Key], int] = {}
    for kind, kind_scopes in scopes.items():
        for chunk in _chunks(sorted(kind_scopes), _chunk_size(conn)):
            for r in conn.execute(
                select(
                    entity.c.id, entity.c.platform, entity.c.deployment, entity.c.external_id
                ).where(
                    entity.c.kind == kind,
                    _member(conn, entity.c.scope, chunk),
                    entity.c.first_seen_run_id == run_id,
                )
            ):
                ids[(kind, (r.platform, r.deployment, r.external_id))] = r.id
    return ids


def _update_ids(conn: Connection, column: Any, ids: Sequence[int], **values: Any) -> None:
    """``UPDATE … SET values WHERE id IN (…)``: one statement per chunk of ids."""
    table = column.table
    for chunk in _chunks(ids, _chunk_size(conn, _UPDATE_CHUNK)):
        conn.execute(update(table).where(_member(conn, column, chunk)).values(**values))


def _apply_kind(
    conn: Connection,
    run_id: int,
    kind: str,
    plans: Sequence[tuple[ScopePlan, KindPlan]],
    entity_ids: dict[tuple[str, Key], int],
) -> None:
    table = version_table(kind)
    versions: list[dict[str, Any]] = []
    superseded: list[int] = []
    reappeared: list[int] = []
    removed: list[int] = []
    unchanged: list[int] = []
    for scope_plan, plan in plans:
        prev_run_id = scope_plan.prev_run_id
        for record, content_hash in plan.new:
            entity_id = entity_ids[(kind, record.source.key())]
            versions.append(_version_row(record, content_hash, entity_id, run_id, prev_run_id))
        superseded += [old.version_id for _, _, old in plan.changed if old.version_id is not None]
        superseded += [old.version_id for old in plan.removed if old.version_id is not None]
        for record, content_hash, old in plan.changed:
            versions.append(
                _version_row(record, content_hash, old.entity_id, run_id, old.last_seen_run_id)
            )
        for record, content_hash, entity_id in plan.reappeared:
            reappeared.append(entity_id)
            versions.append(_version_row(record, content_hash, entity_id, run_id, prev_run_id))
        removed += [old.entity_id for old in plan.removed]
        unchanged += [old.version_id for old in plan.unchanged if old.version_id is not None]
    _update_ids(conn, table.c.id, superseded, superseded_run_id=run_id)
    _update_ids(conn, entity.c.id, reappeared, removed_run_id=None)
    _update_ids(conn, entity.c.id, removed, removed_run_id=run_id)
    for scope_plan, plan in plans:
        _update_ids(conn, entity.c.id, plan.moved, scope=scope_plan.scope)
    _update_ids(conn, table.c.id, unchanged, last_seen_run_id=run_id)
    if versions:
        conn.execute(insert(table), versions)
