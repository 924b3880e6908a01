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

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from canonical.base import Record
from local_store.schema import entity, field_column, run_scope, version_table

_CHUNK = 500

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
    """Record every snapshot for ``run_id`` in one transaction and return the counts."""
    if isinstance(snapshots, Snapshot):
        snapshots = [snapshots]
    result = IngestResult()
    with engine.begin() as conn:
        for snapshot in snapshots:
            plan = plan_snapshot(conn, run_id, snapshot)
            apply_plan(conn, run_id, plan)
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
    by_kind = _group_records(snapshot)
    prev_run_id = conn.execute(
        select(func.max(run_scope.c.run_id)).where(
            run_scope.c.scope == snapshot.scope, run_scope.c.run_id < run_id
        )
    ).scalar()
    plans = [
        _plan_kind(conn, snapshot.scope, kind, by_kind.get(kind, {}), snapshot.unread)
        for kind in sorted(snapshot.kinds)
    ]
    return ScopePlan(snapshot.scope, prev_run_id, plans)


def apply_plan(conn: Connection, run_id: int, plan: ScopePlan) -> None:
    """Write a planned change set for ``run_id`` (inside the caller's transaction)."""
    already = conn.execute(
        select(run_scope.c.run_id).where(
            run_scope.c.run_id == run_id, run_scope.c.scope == plan.scope
        )
    ).first()
    if already is not None:
        raise IngestError(f"scope {plan.scope!r} was already ingested by run {run_id}")
    conn.execute(insert(run_scope).values(run_id=run_id, scope=plan.scope))
    for kind_plan in plan.kinds:
        _apply_kind(conn, run_id, plan.scope, plan.prev_run_id, kind_plan)


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


_ENTITY_COLUMNS = (
    entity.c.id,
    entity.c.platform,
    entity.c.deployment,
    entity.c.external_id,
    entity.c.scope,
    entity.c.removed_run_id,
)


def _load_existing(
    conn: Connection, scope: str, kind: str, records: dict[Key, Record]
) -> dict[Key, _Existing]:
    """The store's entities for this scope and for the snapshot's keys, with current versions.

    Two narrow indexed lookups rather than one join: on a freshly filled
    PostgreSQL table without statistics the planner would otherwise scan the
    whole version table once per scope.
    """
    select_entities = select(*_ENTITY_COLUMNS)
    rows = list(conn.execute(select_entities.where(entity.c.kind == kind, entity.c.scope == scope)))
    in_scope = {(r[1], r[2], r[3]) for r in rows}
    by_source: dict[tuple[str, str], list[str]] = defaultdict(list)
    for platform, deployment, external_id in records:
        if (platform, deployment, external_id) not in in_scope:
            by_source[(platform, deployment)].append(external_id)
    for (platform, deployment), ids in by_source.items():
        for chunk in _chunks(ids):
            rows.extend(
                conn.execute(
                    select_entities.where(
                        entity.c.kind == kind,
                        entity.c.platform == platform,
                        entity.c.deployment == deployment,
                        entity.c.external_id.in_(chunk),
                    )
                )
            )
    table = version_table(kind)
    current: dict[int, tuple[int, str, int]] = {}
    entity_ids = [r[0] for r in rows]
    for chunk in _chunks(entity_ids):
        for version in conn.execute(
            select(
                table.c.entity_id, table.c.id, table.c.content_hash, table.c.last_seen_run_id
            ).where(table.c.entity_id.in_(chunk), table.c.superseded_run_id.is_(None))
        ):
            current[version[0]] = (version[1], version[2], version[3])
    found: dict[Key, _Existing] = {}
    for row in rows:
        version_id, content_hash, last_seen = current.get(row[0], (None, None, None))
        found[(row[1], row[2], row[3])] = _Existing(
            entity_id=row[0],
            scope=row[4],
            removed=row[5] is not None,
            version_id=version_id,
            content_hash=content_hash,
            last_seen_run_id=last_seen,
        )
    return found


def _plan_kind(
    conn: Connection,
    scope: str,
    kind: str,
    records: dict[Key, Record],
    unread: frozenset[Key] = frozenset(),
) -> KindPlan:
    existing = _load_existing(conn, scope, kind, records)
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


def _apply_kind(
    conn: Connection, run_id: int, scope: str, prev_run_id: int | None, plan: KindPlan
) -> None:
    table = version_table(plan.kind)
    versions: list[dict[str, Any]] = []

    if plan.new:
        entity_rows = [
            {
                "kind": plan.kind,
                "platform": record.source.platform.value,
                "deployment": record.source.deployment,
                "external_id": record.source.external_id,
                "scope": scope,
                "first_seen_run_id": run_id,
                "removed_run_id": None,
            }
            for record, _ in plan.new
        ]
        # A plain executemany: INSERT … RETURNING in parameter order runs one row per
        # statement on SQLite.  The new entities are read back by the scope's index: a scope
        # is ingested once per run, so those first seen by this run under it are these (and
        # any moved in earlier in the run, which the keys tell apart).
        conn.execute(insert(entity), entity_rows)
        ids = {
            (row.platform, row.deployment, row.external_id): row.id
            for row in conn.execute(
                select(
                    entity.c.id, entity.c.platform, entity.c.deployment, entity.c.external_id
                ).where(
                    entity.c.kind == plan.kind,
                    entity.c.scope == scope,
                    entity.c.first_seen_run_id == run_id,
                )
            )
        }
        for record, content_hash in plan.new:
            entity_id = ids[record.source.key()]
            versions.append(_version_row(record, content_hash, entity_id, run_id, prev_run_id))

    superseded = [old.version_id for _, _, old in plan.changed] + [
        old.version_id for old in plan.removed if old.version_id is not None
    ]
    if superseded:
        conn.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(superseded_run_id=run_id),
            [{"b_id": vid} for vid in superseded],
        )
    for record, content_hash, old in plan.changed:
        versions.append(
            _version_row(record, content_hash, old.entity_id, run_id, old.last_seen_run_id)
        )

    if plan.reappeared:
        conn.execute(
            update(entity).where(entity.c.id == bindparam("b_id")).values(removed_run_id=None),
            [{"b_id": entity_id} for _, _, entity_id in plan.reappeared],
        )
        for record, content_hash, entity_id in plan.reappeared:
            versions.append(_version_row(record, content_hash, entity_id, run_id, prev_run_id))

    if plan.removed:
        conn.execute(
            update(entity).where(entity.c.id == bindparam("b_id")).values(removed_run_id=run_id),
            [{"b_id": old.entity_id} for old in plan.removed],
        )
    if plan.moved:
        conn.execute(
            update(entity).where(entity.c.id == bindparam("b_id")).values(scope=scope),
            [{"b_id": entity_id} for entity_id in plan.moved],
        )
    if plan.unchanged:
        conn.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(last_seen_run_id=run_id),
            [{"b_id": old.version_id} for old in plan.unchanged],
        )
    if versions:
        conn.execute(insert(table), versions)
