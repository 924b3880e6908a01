"""The mass-change hold: a pull that would remove or change too much waits for a person.

A platform that answers with an empty class list (a broken filter, a half
migrated tenant) must not wipe the store's picture of the contingent.  The
guard plans every snapshot of a run (``local_store.ingest.plan_snapshots``),
measures the plan against the source's thresholds and either applies it in
the same transaction or *stages* it: the snapshots and the list of changes
are kept, the run is marked held, and nothing of the store's history moves
until ``sverka runs approve RUN`` (re-plans against the store as it is then
and applies) or ``sverka runs discard RUN`` (the store stays as it was).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from canonical.base import Record
from canonical.registry import record_type
from local_store.ingest import (
    IngestResult,
    Key,
    ScopePlan,
    Snapshot,
    apply_plans,
    plan_snapshot,
    plan_snapshots,
)
from local_store.reconcile_schema import held_change, held_run, held_snapshot
from local_store.runs import RunStatus
from local_store.schema import entity, run_scope, sync_run, version_table


class HoldError(ValueError):
    """A held run that cannot be approved or discarded (says why, in Russian)."""


@dataclass(frozen=True)
class HoldPolicy:
    """Thresholds of one source: beyond any of them the run is held.

    A share is judged with an absolute floor: a run is held for removals (changes) only
    when they exceed the share *and* number at least ``min_rows``, so the same rule fits a
    college of 1 500 (5 % = 75 rows) and a village school of 40.
    """

    max_removed_share: float = 0.05
    """Share of the source's current records of a watched kind a run may remove."""
    max_changed_share: float = 0.5
    """Share it may change in one pull."""
    min_records: int = 20
    """Below this many current records the shares are not judged (a tiny class moving is normal)."""
    min_rows: int = 10
    """A share is exceeded only by at least this many rows: at a school of 40 students the
    3–9 expulsions of a term are 7–23 %, ordinary news, not a broken pull (a class emptied
    at once is still held by ``protect_groups``, however small)."""
    protect_groups: bool = True
    """Hold when a group that had students would have none."""
    kinds: tuple[str, ...] = ("person", "enrolment")


DEFAULT_POLICIES: dict[str, HoldPolicy] = {
    "netschool": HoldPolicy(),
    "poo": HoldPolicy(),
    "eljur": HoldPolicy(),
    "contingent": HoldPolicy(max_removed_share=0.05, max_changed_share=0.3),
    "local": HoldPolicy(
        protect_groups=False,
        kinds=(
            "person",
            "diary_opt_out",
            "paper_report",
            "invitation_code",
            "approval",
            "journal_outage",
            "result_announcement",
            "data_review",
        ),
    ),
}
"""Thresholds per source; ``local`` is the institution's own files (every kind they keep)."""

_KIND_RU = {
    "person": "карточек людей",
    "enrolment": "записей о зачислении",
    "diary_opt_out": "отказов от электронного дневника",
    "paper_report": "выдач бумажных сведений",
    "invitation_code": "кодов приглашения",
    "approval": "согласований",
    "journal_outage": "записей о недоступности журнала",
    "result_announcement": "объявлений результатов",
    "data_review": "проверок данных",
}


@dataclass
class GuardResult:
    held: bool
    reasons: list[str] = field(default_factory=list)
    result: IngestResult | None = None
    summary: dict[str, dict[str, int]] = field(default_factory=dict)


def _measure(
    conn: Connection, plans: Sequence[ScopePlan], policy: HoldPolicy
) -> tuple[list[str], dict[str, dict[str, int]]]:
    """The reasons to hold (Russian) and the counts per kind."""
    summary: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for plan in plans:
        for kp in plan.kinds:
            for name, value in kp.counts().as_dict().items():
                summary[kp.kind][name] += value
    reasons: list[str] = []
    for kind in policy.kinds:
        counts = summary.get(kind)
        if not counts:
            continue
        before = counts["unchanged"] + counts["changed"] + counts["removed"]
        if before < policy.min_records:
            continue
        removed_share = counts["removed"] / before
        changed_share = counts["changed"] / before
        label = _KIND_RU.get(kind, kind)
        floor = f" и не менее {policy.min_rows}"
        if removed_share > policy.max_removed_share and counts["removed"] >= policy.min_rows:
            reasons.append(
                f"удаляется {counts['removed']} из {before} {label} "
                f"({removed_share:.0%} при пороге {policy.max_removed_share:.0%}{floor})"
            )
        if changed_share > policy.max_changed_share and counts["changed"] >= policy.min_rows:
            reasons.append(
                f"изменяется {counts['changed']} из {before} {label} "
                f"({changed_share:.0%} при пороге {policy.max_changed_share:.0%}{floor})"
            )
    if policy.protect_groups:
        reasons.extend(_emptied_groups(conn, plans))
    return reasons, {k: dict(v) for k, v in summary.items()}


def _emptied_groups(conn: Connection, plans: Sequence[ScopePlan]) -> list[str]:
    """Groups that have studying students in the store and would have none after the run."""
    table = version_table("enrolment")
    before: dict[tuple[str, str, str], int] = defaultdict(int)
    after: dict[tuple[str, str, str], int] = defaultdict(int)
    version_ids: list[int] = []
    unchanged_ids: set[int] = set()
    for plan in plans:
        for kp in plan.kinds:
            if kp.kind != "enrolment":
                continue
            unchanged_ids |= {e.version_id for e in kp.unchanged if e.version_id is not None}
            version_ids += [e.version_id for _, _, e in kp.changed if e.version_id is not None]
            version_ids += [e.version_id for e in kp.removed if e.version_id is not None]
            records = [t[0] for t in kp.new] + [t[0] for t in kp.reappeared]
            records += [t[0] for t in kp.changed]
            for record in records:
                group_id = getattr(record, "group_id", None)
                if getattr(record, "status", None) == "studying" and group_id:
                    after[(record.source.platform.value, record.source.deployment, group_id)] += 1
    version_ids += sorted(unchanged_ids)
    for start in range(0, len(version_ids), 500):
        rows = conn.execute(
            select(
                table.c.id,
                table.c.platform,
                table.c.deployment,
                table.c.f_group_id,
                table.c.f_status,
            ).where(table.c.id.in_(version_ids[start : start + 500]))
        )
        for row in rows:
            if row.f_status != "studying" or not row.f_group_id:
                continue
            key = (row.platform, row.deployment, row.f_group_id)
            before[key] += 1
            if row.id in unchanged_ids:
                after[key] += 1
    emptied = sorted(k for k, n in before.items() if n > 0 and after.get(k, 0) == 0)
    if not emptied:
        return []
    names = _group_names(conn, emptied)
    return [
        f"в группе «{names.get(k, k[2])}» не остаётся ни одного обучающегося (было {before[k]})"
        for k in emptied
    ]


def _group_names(
    conn: Connection, keys: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], str]:
    table = version_table("group")
    out: dict[tuple[str, str, str], str] = {}
    for platform, deployment, external_id in keys:
        name = conn.execute(
            select(table.c.f_name)
            .where(
                table.c.platform == platform,
                table.c.deployment == deployment,
                table.c.external_id == external_id,
            )
            .order_by(table.c.id.desc())
            .limit(1)
        ).scalar()
        if name:
            out[(platform, deployment, external_id)] = str(name)
    return out


def guarded_ingest(
    engine: Engine,
    run_id: int,
    snapshots: Snapshot | Iterable[Snapshot],
    policy: HoldPolicy | None = None,
) -> GuardResult:
    """Ingest like :func:`local_store.ingest.ingest`, unless the change is too large: then hold it."""
    if isinstance(snapshots, Snapshot):
        snapshots = [snapshots]
    snapshots = list(snapshots)
    with engine.begin() as conn:
        run = dict(conn.execute(select(sync_run).where(sync_run.c.id == run_id)).mappings().one())
        policy = policy or DEFAULT_POLICIES.get(run["source"], HoldPolicy())
        plans = plan_snapshots(conn, run_id, snapshots)
        assert plans is not None
        reasons, summary = _measure(conn, plans, policy)
        if not reasons:
            result = IngestResult()
            apply_plans(conn, run_id, plans)
            for plan in plans:
                for kp in plan.kinds:
                    result.add(kp.kind, kp.counts())
            return GuardResult(False, [], result, summary)
        _stage(conn, run, snapshots, plans, reasons, summary)
    return GuardResult(True, reasons, None, summary)


@dataclass
class Preview:
    """What a run would do, planned against the store and written nowhere."""

    reasons: list[str]
    """Why the guard would hold it (empty: it would be applied)."""
    summary: dict[str, dict[str, int]]
    changes: list[dict[str, Any]]


def preview(
    engine: Engine,
    source: str,
    snapshots: Snapshot | Iterable[Snapshot],
    policy: HoldPolicy | None = None,
) -> Preview:
    """Plan ``snapshots`` as the next run of ``source`` would, in a transaction rolled back."""
    if isinstance(snapshots, Snapshot):
        snapshots = [snapshots]
    policy = policy or DEFAULT_POLICIES.get(source, HoldPolicy())
    with engine.connect() as conn:
        last = conn.execute(select(func.max(sync_run.c.id))).scalar() or 0
        next_run = int(last) + 1
        plans = plan_snapshots(conn, next_run, list(snapshots))
        assert plans is not None
        reasons, summary = _measure(conn, plans, policy)
        changes = _changes(conn, next_run, plans)
        conn.rollback()
    return Preview(reasons, summary, changes)


def _serialise(records: Sequence[Record], unread: Iterable[Key] = ()) -> list[dict[str, Any]]:
    """Records as JSON; the snapshot's unread keys ride along as ``{"unread": key}`` items."""
    items = [{"kind": r.kind, "data": r.model_dump(mode="json")} for r in records]
    return items + [{"unread": list(key)} for key in sorted(unread)]


def _deserialise(items: Sequence[Mapping[str, Any]]) -> list[Record]:
    return [
        record_type(item["kind"]).model_validate(item["data"]) for item in items if "kind" in item
    ]


def _unread(items: Sequence[Mapping[str, Any]]) -> frozenset[Key]:
    return frozenset(
        (str(item["unread"][0]), str(item["unread"][1]), str(item["unread"][2]))
        for item in items
        if "unread" in item
    )


def _stage(
    conn: Connection,
    run: Mapping[str, Any],
    snapshots: Sequence[Snapshot],
    plans: Sequence[ScopePlan],
    reasons: list[str],
    summary: dict[str, dict[str, int]],
) -> None:
    now = dt.datetime.now(dt.UTC)
    run_id = int(run["id"])
    conn.execute(
        insert(held_run).values(
            run_id=run_id,
            source=run["source"],
            deployment=run["deployment"],
            status="held",
            reasons=reasons,
            summary=summary,
            held_at=now,
        )
    )
    conn.execute(
        insert(held_snapshot),
        [
            {
                "run_id": run_id,
                "ordinal": i,
                "scope": s.scope,
                "kinds": sorted(s.kinds),
                "records": _serialise(s.records, s.unread),
            }
            for i, s in enumerate(snapshots)
        ],
    )
    changes = _changes(conn, run_id, plans)
    if changes:
        conn.execute(insert(held_change), changes)
    conn.execute(
        update(sync_run)
        .where(sync_run.c.id == run_id)
        .values(
            status=RunStatus.HELD.value, finished_at=now, counts=summary, error="; ".join(reasons)
        )
    )


def _changes(conn: Connection, run_id: int, plans: Sequence[ScopePlan]) -> list[dict[str, Any]]:
    """Every planned addition, change and removal, one row each, for review."""
    changes: list[dict[str, Any]] = []
    removed_entities: dict[int, tuple[str, str]] = {}
    for plan in plans:
        for kp in plan.kinds:
            for record in [t[0] for t in kp.new] + [t[0] for t in kp.reappeared]:
                changes.append(_change(run_id, plan.scope, kp.kind, "added", record))
            for record, _, _old in kp.changed:
                changes.append(_change(run_id, plan.scope, kp.kind, "changed", record))
            for old in kp.removed:
                removed_entities[old.entity_id] = (plan.scope, kp.kind)
    ids = list(removed_entities)
    for start in range(0, len(ids), 500):
        for row in conn.execute(
            select(entity.c.id, entity.c.external_id).where(
                entity.c.id.in_(ids[start : start + 500])
            )
        ):
            scope, kind = removed_entities[row.id]
            changes.append(
                {
                    "run_id": run_id,
                    "scope": scope,
                    "kind": kind,
                    "change": "removed",
                    "external_id": row.external_id,
                    "detail": None,
                }
            )
    return changes


def _change(run_id: int, scope: str, kind: str, change: str, record: Record) -> dict[str, Any]:
    detail = None
    if kind == "enrolment":
        detail = f"группа {getattr(record, 'group_id', '')}, статус {getattr(record, 'status', '')}"
    return {
        "run_id": run_id,
        "scope": scope,
        "kind": kind,
        "change": change,
        "external_id": record.source.external_id,
        "detail": detail,
    }


def _held(conn: Connection, run_id: int) -> Mapping[str, Any]:
    row = conn.execute(select(held_run).where(held_run.c.run_id == run_id)).mappings().first()
    if row is None:
        raise HoldError(f"запуск {run_id} не задержан: утверждать или отклонять нечего")
    if row["status"] != "held":
        done = "утверждён" if row["status"] == "approved" else "отклонён"
        raise HoldError(f"запуск {run_id} уже {done}")
    return dict(row)


def approve(engine: Engine, run_id: int) -> IngestResult:
    """Apply a held run's snapshots to the store as it is now, in one transaction."""
    with engine.begin() as conn:
        _held(conn, run_id)
        snaps = (
            conn.execute(
                select(held_snapshot)
                .where(held_snapshot.c.run_id == run_id)
                .order_by(held_snapshot.c.ordinal)
            )
            .mappings()
            .all()
        )
        scopes = [s["scope"] for s in snaps]
        later = conn.execute(
            select(func.min(run_scope.c.run_id)).where(
                run_scope.c.scope.in_(scopes), run_scope.c.run_id > run_id
            )
        ).scalar()
        if later is not None:
            raise HoldError(
                f"после задержанного запуска {run_id} эти данные уже загрузил запуск {later}; "
                "применять устаревшие данные нельзя — отклоните запуск"
            )
        result = IngestResult()
        for snap in snaps:
            snapshot = Snapshot(
                snap["scope"],
                frozenset(snap["kinds"]),
                _deserialise(snap["records"]),
                _unread(snap["records"]),
            )
            plan = plan_snapshot(conn, run_id, snapshot)
            apply_plans(conn, run_id, [plan])
            for kp in plan.kinds:
                result.add(kp.kind, kp.counts())
        now = dt.datetime.now(dt.UTC)
        conn.execute(
            update(held_run)
            .where(held_run.c.run_id == run_id)
            .values(status="approved", decided_at=now)
        )
        conn.execute(
            update(sync_run)
            .where(sync_run.c.id == run_id)
            .values(status=RunStatus.SUCCEEDED.value, counts=result.as_dict(), error=None)
        )
    return result


def discard(engine: Engine, run_id: int) -> None:
    """Drop a held run: the store's history stays exactly as it was before the run."""
    with engine.begin() as conn:
        _held(conn, run_id)
        now = dt.datetime.now(dt.UTC)
        conn.execute(
            update(held_run)
            .where(held_run.c.run_id == run_id)
            .values(status="discarded", decided_at=now)
        )
        conn.execute(
            update(sync_run).where(sync_run.c.id == run_id).values(status=RunStatus.DISCARDED.value)
        )


@dataclass(frozen=True)
class HeldRun:
    run_id: int
    source: str
    deployment: str
    status: str
    reasons: list[str]
    summary: Mapping[str, Any]
    held_at: dt.datetime


def list_held(engine: Engine, *, only_pending: bool = True) -> list[HeldRun]:
    query = select(held_run).order_by(held_run.c.run_id)
    if only_pending:
        query = query.where(held_run.c.status == "held")
    with engine.connect() as conn:
        return [
            HeldRun(
                r["run_id"],
                r["source"],
                r["deployment"],
                r["status"],
                list(r["reasons"]),
                r["summary"],
                r["held_at"],
            )
            for r in conn.execute(query).mappings()
        ]


def held_changes(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """The held run's changes for review: scope, kind, added/changed/removed, external id."""
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(
                    held_change.c.scope,
                    held_change.c.kind,
                    held_change.c.change,
                    held_change.c.external_id,
                    held_change.c.detail,
                )
                .where(held_change.c.run_id == run_id)
                .order_by(held_change.c.kind, held_change.c.change, held_change.c.external_id)
            ).mappings()
        ]
