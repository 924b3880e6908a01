"""Violations as records: upsert by fingerprint, lifecycle, approvals, figures.

The policy engine hands over *findings* (what is wrong now); this module turns
them into durable violations.  A finding's fingerprint (rule, entity, period)
finds its violation again on the next check, so re-running never duplicates
and an unchanged finding writes nothing.  A violation whose condition no
longer holds (among the entities a check looked at) is resolved with the data
moment, never deleted; an approval turns it into an approved exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)

from local_store.violations_schema import (
    policy_check,
    policy_figure,
    policy_violation,
    policy_violation_event,
)

_CHUNK = 500


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    APPROVED = "approved"
    RESOLVED = "resolved"


ACTIVE = (Status.OPEN.value, Status.ACKNOWLEDGED.value)


class ViolationError(ValueError):
    """A lifecycle request that cannot be done (unknown id, wrong state); message in Russian."""


def fingerprint(
    rule_id: str, entity_kind: str, deployment: str, entity_key: str, period_key: str
) -> str:
    """The stable id of a violation: the same rule, entity and period give the same value."""
    raw = "\x1f".join((rule_id, entity_kind, deployment, entity_key, period_key))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class Finding:
    """One thing a rule found wrong now."""

    rule_id: str
    entity_kind: str
    entity_key: str
    verdict: str
    deployment: str = ""
    period_key: str = ""
    severity: str = "medium"
    responsible_role: str | None = None
    responsible_person: str | None = None
    group_key: str | None = None
    clause: str = ""
    message: str = ""
    deadline: dt.datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            self.rule_id, self.entity_kind, self.deployment, self.entity_key, self.period_key
        )


@dataclass(frozen=True)
class Figure:
    """A monitoring figure for one teacher / group / subject in one period."""

    subject_kind: str
    subject_key: str
    period_key: str
    value: float | None
    threshold: float | None
    breached: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class RecordCounts:
    opened: int = 0
    changed: int = 0
    reopened: int = 0
    unchanged: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_check(
    conn: Connection,
    profile_id: str,
    *,
    full: bool,
    rules: Sequence[str] | None,
    since_run_id: int | None,
    upto_run_id: int | None,
    data_as_of: dt.datetime | None,
) -> int:
    result = conn.execute(
        insert(policy_check)
        .values(
            profile_id=profile_id,
            started_at=_now(),
            full=full,
            rules=list(rules) if rules else None,
            since_run_id=since_run_id,
            upto_run_id=upto_run_id,
            data_as_of=data_as_of,
        )
        .returning(policy_check.c.id)
    )
    return int(result.scalar_one())


def finish_check(conn: Connection, check_id: int, counts: dict[str, Any]) -> None:
    conn.execute(
        update(policy_check)
        .where(policy_check.c.id == check_id)
        .values(finished_at=_now(), counts=counts)
    )


def last_checked_run(conn: Connection, profile_id: str, rules: Sequence[str] | None) -> int | None:
    """The newest run a finished check of this profile (covering ``rules``) already looked at."""
    query = select(policy_check.c.upto_run_id, policy_check.c.rules).where(
        policy_check.c.profile_id == profile_id, policy_check.c.finished_at.is_not(None)
    )
    best: int | None = None
    for upto, checked in conn.execute(query.order_by(policy_check.c.id.desc())):
        if checked and rules and not set(rules) <= set(checked):
            continue
        if checked and not rules:
            continue
        if upto is not None:
            best = int(upto)
        break
    return best


def _event(conn: Connection, violation_id: int, event: str, detail: dict[str, Any] | None) -> None:
    _events(conn, [(violation_id, event, detail)])


def _events(conn: Connection, events: Sequence[tuple[int, str, dict[str, Any] | None]]) -> None:
    """Write lifecycle events as one batched statement (one round trip set, not one per row)."""
    if not events:
        return
    at = _now()
    conn.execute(
        insert(policy_violation_event),
        [{"violation_id": v, "at": at, "event": e, "detail": d} for v, e, d in events],
    )


# Columns a re-found violation may get rewritten; the batched UPDATE sets all of them, carrying
# the stored value where the finding does not change it, so one statement covers every row.
_REWRITTEN = (
    "status",
    "resolved_at",
    "resolved_check_id",
    "verdict",
    "evidence",
    "message",
    "deadline",
    "severity",
    "clause",
    "responsible_person",
    "last_check_id",
)
# What telling a re-found violation from its finding needs: an unchanged one (the usual case
# on a re-check) is read no further.
_COMPARED = (
    policy_violation.c.id,
    policy_violation.c.fingerprint,
    policy_violation.c.status,
    policy_violation.c.verdict,
    policy_violation.c.evidence,
    policy_violation.c.message,
    policy_violation.c.deadline,
)


def _carry_stored(conn: Connection, refound: list[dict[str, Any]]) -> None:
    """Fill each update row's columns the finding leaves alone with the stored values."""
    by_id = {row["b_id"]: row for row in refound}
    ids = list(by_id)
    columns = [policy_violation.c[name] for name in _REWRITTEN]
    for start in range(0, len(ids), _CHUNK):
        for stored in conn.execute(
            select(policy_violation.c.id, *columns).where(
                policy_violation.c.id.in_(ids[start : start + _CHUNK])
            )
        ).mappings():
            row = by_id[stored["id"]]
            for name in _REWRITTEN:
                row.setdefault(f"b_{name}", stored[name])


_UPDATE_REFOUND = (
    update(policy_violation)
    .where(policy_violation.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _REWRITTEN})
)
_RESOLVE = (
    update(policy_violation)
    .where(policy_violation.c.id == bindparam("b_id"))
    .values(
        status=Status.RESOLVED.value,
        resolved_at=bindparam("b_resolved_at"),
        resolved_check_id=bindparam("b_resolved_check_id"),
    )
)


_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_MOMENT = (dt.datetime, dt.date)
_SEQUENCE = (list, tuple)


def _json_ready(value: Any) -> Any:
    # every finding's evidence passes through here: plain values return at the first test
    if type(value) in _PLAIN:
        return value
    if isinstance(value, _MOMENT):
        return value.isoformat()
    if isinstance(value, dict):
        return {
            k if type(k) is str else str(k): v if type(v) in _PLAIN else _json_ready(v)
            for k, v in value.items()
        }
    if isinstance(value, _SEQUENCE):
        return [v if type(v) in _PLAIN else _json_ready(v) for v in value]
    return value


def _events_of_opened(conn: Connection, check_id: int, rule_id: str) -> None:
    """One INSERT … SELECT of the ``opened`` events of the violations this check and rule opened."""
    v = policy_violation
    build = "json_build_object" if conn.dialect.name == "postgresql" else "json_object"
    detail = getattr(func, build)(literal_column("'verdict'"), v.c.verdict)
    conn.execute(
        insert(policy_violation_event).from_select(
            ["violation_id", "at", "event", "detail"],
            select(
                v.c.id,
                literal(_now(), policy_violation_event.c.at.type),
                literal("opened"),
                detail,
            )
            .where(v.c.rule_id == rule_id, v.c.first_check_id == check_id)
            .order_by(v.c.id),
        )
    )


def record_findings(
    conn: Connection,
    check_id: int,
    profile_id: str,
    rule_id: str,
    findings: Iterable[Finding],
    *,
    touched: Select[Any] | None,
    data_as_of: dt.datetime | None,
) -> RecordCounts:
    """Upsert the findings of one rule and resolve what no longer holds.

    ``touched`` selects the entity keys the check looked at (``None``: every
    entity of the rule, a full check); only those can be resolved.
    """
    counts = RecordCounts()
    by_fp: dict[str, Finding] = {}
    for finding in findings:
        by_fp[finding.fingerprint] = finding
    existing: dict[str, Any] = {}
    fps = list(by_fp)
    for start in range(0, len(fps), _CHUNK):
        chunk = fps[start : start + _CHUNK]
        for row in conn.execute(
            select(*_COMPARED).where(policy_violation.c.fingerprint.in_(chunk))
        ).mappings():
            existing[row["fingerprint"]] = row
    # when the data first showed it (the newest sync the check read), not when the check ran:
    # a replay or a late check must not date a violation by the wall clock
    detected = data_as_of or _now()
    new_rows: list[dict[str, Any]] = []
    refound: list[dict[str, Any]] = []
    events: list[tuple[int, str, dict[str, Any] | None]] = []
    for fp, f in by_fp.items():
        evidence = _json_ready(f.evidence)
        old = existing.get(fp)
        if old is None:
            new_rows.append(
                {
                    "fingerprint": fp,
                    "rule_id": f.rule_id,
                    "profile_id": profile_id,
                    "entity_kind": f.entity_kind,
                    "deployment": f.deployment,
                    "entity_key": f.entity_key,
                    "period_key": f.period_key,
                    "status": Status.OPEN.value,
                    "verdict": f.verdict,
                    "severity": f.severity,
                    "responsible_role": f.responsible_role,
                    "responsible_person": f.responsible_person,
                    "group_key": f.group_key,
                    "clause": f.clause,
                    "message": f.message,
                    "deadline": f.deadline,
                    "evidence": evidence,
                    "first_detected_at": detected,
                    "first_check_id": check_id,
                    "last_check_id": check_id,
                }
            )
            continue
        reopen = old["status"] == Status.RESOLVED.value
        same_deadline = (old["deadline"] is None and f.deadline is None) or (
            old["deadline"] is not None
            and f.deadline is not None
            and old["deadline"] == f.deadline.astimezone(dt.UTC)
        )
        rewrite = (
            old["verdict"] != f.verdict
            or old["evidence"] != evidence
            or old["message"] != f.message
            or not same_deadline
        )
        if not reopen and not rewrite:
            counts.unchanged += 1
            continue
        update_row: dict[str, Any] = {"b_id": old["id"], "b_last_check_id": check_id}
        if reopen:
            update_row.update(
                b_status=Status.OPEN.value, b_resolved_at=None, b_resolved_check_id=None
            )
        if rewrite:
            update_row.update(b_verdict=f.verdict, b_evidence=evidence, b_message=f.message)
            update_row.update(b_deadline=f.deadline, b_severity=f.severity, b_clause=f.clause)
            update_row.update(b_responsible_person=f.responsible_person)
        refound.append(update_row)
        if reopen:
            counts.reopened += 1
            events.append((old["id"], "reopened", {"verdict": f.verdict}))
        else:
            counts.changed += 1
            events.append((old["id"], "changed", {"verdict": f.verdict, "was": old["verdict"]}))
    if refound:
        _carry_stored(conn, refound)
        conn.execute(_UPDATE_REFOUND, refound)
    if new_rows:
        # A plain executemany: INSERT … RETURNING in parameter order runs one row per
        # statement on SQLite; the new rows are found again by (rule, first check) instead.
        conn.execute(insert(policy_violation), new_rows)
        _events_of_opened(conn, check_id, rule_id)
        counts.opened += len(new_rows)
    _events(conn, events)
    counts.resolved = _resolve_missing(
        conn, check_id, profile_id, rule_id, set(by_fp), touched, data_as_of
    )
    return counts


def _resolve_missing(
    conn: Connection,
    check_id: int,
    profile_id: str,
    rule_id: str,
    found: set[str],
    touched: Select[Any] | None,
    data_as_of: dt.datetime | None,
) -> int:
    query = select(policy_violation.c.id, policy_violation.c.fingerprint).where(
        policy_violation.c.rule_id == rule_id,
        policy_violation.c.profile_id == profile_id,
        policy_violation.c.status.in_(ACTIVE),
    )
    if touched is not None:
        query = query.where(policy_violation.c.entity_key.in_(touched.scalar_subquery()))
    gone = [vid for vid, fp in conn.execute(query) if fp not in found]
    moment = data_as_of or _now()
    if gone:
        conn.execute(
            _RESOLVE,
            [
                {"b_id": vid, "b_resolved_at": moment, "b_resolved_check_id": check_id}
                for vid in gone
            ],
        )
        _events(conn, [(vid, "resolved", {"at": moment.isoformat()}) for vid in gone])
    return len(gone)


def record_figures(
    conn: Connection,
    check_id: int,
    profile_id: str,
    rule_id: str,
    figures: Sequence[Figure],
    subjects: Select[Any] | None = None,
) -> int:
    """Replace the figures of one rule for the periods the check computed.

    ``subjects`` (an incremental check) selects the subject keys the rule
    recomputed; the figures of every other subject stay as the last check left them.
    """
    periods = sorted({f.period_key for f in figures})
    if periods or subjects is not None:
        scope = [policy_figure.c.rule_id == rule_id, policy_figure.c.profile_id == profile_id]
        if subjects is None:
            scope.append(policy_figure.c.period_key.in_(periods))
        else:
            scope.append(policy_figure.c.subject_key.in_(subjects.scalar_subquery()))
        conn.execute(policy_figure.delete().where(*scope))
    if figures:
        conn.execute(
            insert(policy_figure),
            [
                {
                    "rule_id": rule_id,
                    "profile_id": profile_id,
                    "subject_kind": f.subject_kind,
                    "subject_key": f.subject_key,
                    "period_key": f.period_key,
                    "value": f.value,
                    "threshold": f.threshold,
                    "breached": f.breached,
                    "detail": _json_ready(f.detail),
                    "check_id": check_id,
                }
                for f in figures
            ],
        )
    return len(figures)


def _find(conn: Connection, ref: str) -> Any:
    query = select(policy_violation)
    if ref.isdigit():
        query = query.where(policy_violation.c.id == int(ref))
    else:
        query = query.where(policy_violation.c.fingerprint.startswith(ref))
    rows = conn.execute(query.limit(2)).mappings().all()
    if not rows:
        raise ViolationError(f"нарушение {ref!r} не найдено")
    if len(rows) > 1:
        raise ViolationError(f"идентификатор {ref!r} неоднозначен: укажите больше символов")
    return rows[0]


def approve(
    engine: Engine,
    ref: str,
    *,
    document_number: str,
    document_date: dt.date,
    approved_by: str,
) -> dict[str, Any]:
    """Turn a violation into an approved exception (kept, never deleted)."""
    if not document_number.strip():
        raise ViolationError("не указан номер документа согласования")
    if not approved_by.strip():
        raise ViolationError("не указано, кто согласовал")
    with engine.begin() as conn:
        row = _find(conn, ref)
        conn.execute(
            update(policy_violation)
            .where(policy_violation.c.id == row["id"])
            .values(
                status=Status.APPROVED.value,
                approval_document=document_number.strip(),
                approval_date=document_date,
                approved_by=approved_by.strip(),
                approved_at=_now(),
            )
        )
        _event(
            conn,
            row["id"],
            "approved",
            {"document": document_number, "date": document_date.isoformat(), "was": row["status"]},
        )
        return dict(
            conn.execute(select(policy_violation).where(policy_violation.c.id == row["id"]))
            .mappings()
            .one()
        )


def acknowledge(engine: Engine, ref: str, *, by: str = "") -> dict[str, Any]:
    with engine.begin() as conn:
        row = _find(conn, ref)
        if row["status"] != Status.OPEN.value:
            raise ViolationError(
                f"нарушение {row['id']} в состоянии «{STATUS_RU[row['status']]}», принять к сведению можно только открытое"
            )
        conn.execute(
            update(policy_violation)
            .where(policy_violation.c.id == row["id"])
            .values(status=Status.ACKNOWLEDGED.value, acknowledged_at=_now(), acknowledged_by=by)
        )
        _event(conn, row["id"], "acknowledged", None)
        return dict(
            conn.execute(select(policy_violation).where(policy_violation.c.id == row["id"]))
            .mappings()
            .one()
        )


def approve_matching(
    conn: Connection,
    rule_id: str,
    entity_key: str,
    *,
    document_number: str,
    document_date: dt.date,
    approved_by: str,
) -> int:
    """Apply an approval record from a platform or the institution's files (no lookup by id)."""
    rows = (
        conn.execute(
            select(policy_violation.c.id).where(
                policy_violation.c.rule_id == rule_id,
                policy_violation.c.entity_key == entity_key,
                policy_violation.c.status != Status.APPROVED.value,
            )
        )
        .scalars()
        .all()
    )
    if rows:
        conn.execute(
            update(policy_violation)
            .where(policy_violation.c.id.in_(rows))
            .values(
                status=Status.APPROVED.value,
                approval_document=document_number,
                approval_date=document_date,
                approved_by=approved_by,
                approved_at=_now(),
            )
        )
        detail = {"document": document_number, "source": "approval record"}
        _events(conn, [(vid, "approved", detail) for vid in rows])
    return len(rows)


STATUS_RU = {
    "open": "открыто",
    "acknowledged": "принято к сведению",
    "approved": "согласованное исключение",
    "resolved": "устранено",
}


def list_violations(
    engine: Engine,
    *,
    statuses: Sequence[str] | None = None,
    rule_id: str | None = None,
    profile_id: str | None = None,
) -> list[dict[str, Any]]:
    query = select(policy_violation).order_by(policy_violation.c.id)
    conditions: list[ColumnElement[bool]] = []
    if statuses:
        conditions.append(policy_violation.c.status.in_(list(statuses)))
    if rule_id:
        conditions.append(policy_violation.c.rule_id == rule_id)
    if profile_id:
        conditions.append(policy_violation.c.profile_id == profile_id)
    if conditions:
        query = query.where(and_(*conditions))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def count_by_status(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            status: int(n)
            for status, n in conn.execute(
                select(policy_violation.c.status, func.count()).group_by(policy_violation.c.status)
            )
        }


def list_figures(engine: Engine, rule_id: str | None = None) -> list[dict[str, Any]]:
    query = select(policy_figure).order_by(policy_figure.c.id)
    if rule_id:
        query = query.where(policy_figure.c.rule_id == rule_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
