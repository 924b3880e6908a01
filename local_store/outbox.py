"""The outbox of СМЭВ pushes and the envelope audit: SQL only, no SOAP.

The rule that makes pushes safe: :func:`enqueue` runs inside the caller's
transaction, next to the records that justify the push, and fixes the СМЭВ
``MessageID`` there and then.  Delivery (elsewhere) sends exactly that id,
so whatever crashes in between, a retry is the same message to СМЭВ.  Rows
are never deleted: ``failed`` rows keep their payload and error text and can
be put back to ``pending`` after the cause is fixed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from local_store.smev3_schema import smev3_envelope, smev3_outbox


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    """СМЭВ accepted the request; its answer has not arrived yet."""
    ANSWERED = "answered"
    DELIVERED = "delivered"
    """A response (to ЕПГУ, to «Е-услуги») accepted by СМЭВ: nothing more to wait for."""
    FAILED = "failed"


FINISHED = (OutboxStatus.ANSWERED, OutboxStatus.DELIVERED)


@dataclass(frozen=True)
class NewItem:
    channel: str
    deployment: str
    event_key: str
    message_id: str
    operation: str
    payload: str | None = None
    reply_to: str | None = None
    rejection: tuple[str, str] | None = None
    test: bool = False
    subject_kind: str | None = None
    subject_platform: str | None = None
    subject_deployment: str | None = None
    subject_id: str | None = None
    meta: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Item:
    id: int
    channel: str
    deployment: str
    event_key: str
    message_id: str
    operation: str
    payload: str | None
    reply_to: str | None
    rejection: tuple[str, str] | None
    test: bool
    subject_kind: str | None
    subject_platform: str | None
    subject_deployment: str | None
    subject_id: str | None
    meta: Mapping[str, Any]
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    finished_at: dt.datetime | None


def _item(row: Any) -> Item:
    rejection = row["rejection"]
    return Item(
        id=row["id"],
        channel=row["channel"],
        deployment=row["deployment"],
        event_key=row["event_key"],
        message_id=row["message_id"],
        operation=row["operation"],
        payload=row["payload"],
        reply_to=row["reply_to"],
        rejection=(str(rejection[0]), str(rejection[1])) if rejection else None,
        test=bool(row["test"]),
        subject_kind=row["subject_kind"],
        subject_platform=row["subject_platform"],
        subject_deployment=row["subject_deployment"],
        subject_id=row["subject_id"],
        meta=row["meta"] or {},
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        finished_at=row["finished_at"],
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def known_keys(conn: Connection, channel: str, deployment: str) -> set[str]:
    rows = conn.execute(
        select(smev3_outbox.c.event_key).where(
            smev3_outbox.c.channel == channel, smev3_outbox.c.deployment == deployment
        )
    )
    return {r[0] for r in rows}


def has_key(conn: Connection, channel: str, deployment: str, event_key: str) -> bool:
    found = conn.execute(
        select(smev3_outbox.c.id).where(
            smev3_outbox.c.channel == channel,
            smev3_outbox.c.deployment == deployment,
            smev3_outbox.c.event_key == event_key,
        )
    ).first()
    return found is not None


RECEIVED_AT = "received_at"
"""``meta`` key of an answer's row: when the incoming message it answers was taken (data
time, UTC ISO 8601)."""


def last_received_at(
    conn: Connection, channel: str, deployment: str, key_like: str
) -> dt.datetime | None:
    """When the incoming message behind the newest row of ``channel`` whose event key is
    like ``key_like`` was taken: its ``meta`` :data:`RECEIVED_AT`, else (a row written
    before that was kept) the row's creation; ``None`` when there is no such row.

    Rows are written in the order the messages were taken, so the newest row is the
    last message stored (the starting point of a search for messages taken after it).
    """
    row = conn.execute(
        select(smev3_outbox.c.meta, smev3_outbox.c.created_at)
        .where(
            smev3_outbox.c.channel == channel,
            smev3_outbox.c.deployment == deployment,
            smev3_outbox.c.event_key.like(key_like),
        )
        .order_by(smev3_outbox.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    text = (row.meta or {}).get(RECEIVED_AT)
    if isinstance(text, str):
        moment = dt.datetime.fromisoformat(text)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    created: dt.datetime = row.created_at
    return created


def enqueue(conn: Connection, item: NewItem, *, now: dt.datetime | None = None) -> bool:
    """Add a push in the caller's transaction; ``False`` if this event was queued before."""
    if has_key(conn, item.channel, item.deployment, item.event_key):
        return False
    moment = now or _now()
    conn.execute(
        insert(smev3_outbox).values(
            channel=item.channel,
            deployment=item.deployment,
            event_key=item.event_key,
            message_id=item.message_id,
            operation=item.operation,
            payload=item.payload,
            reply_to=item.reply_to,
            rejection=list(item.rejection) if item.rejection else None,
            test=item.test,
            subject_kind=item.subject_kind,
            subject_platform=item.subject_platform,
            subject_deployment=item.subject_deployment,
            subject_id=item.subject_id,
            meta=dict(item.meta or {}),
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=moment,
            created_at=moment,
        )
    )
    return True


def due(
    engine: Engine,
    deployment: str,
    *,
    channels: Iterable[str] | None = None,
    now: dt.datetime | None = None,
    limit: int = 100,
) -> list[Item]:
    """Pending pushes whose next attempt is due, oldest first."""
    query = (
        select(smev3_outbox)
        .where(
            smev3_outbox.c.deployment == deployment,
            smev3_outbox.c.status == OutboxStatus.PENDING.value,
            smev3_outbox.c.next_attempt_at <= (now or _now()),
        )
        .order_by(smev3_outbox.c.id)
        .limit(limit)
    )
    if channels is not None:
        query = query.where(smev3_outbox.c.channel.in_(list(channels)))
    with engine.connect() as conn:
        return [_item(r) for r in conn.execute(query).mappings()]


def next_due_at(
    engine: Engine, deployment: str, channels: Iterable[str] | None = None
) -> dt.datetime | None:
    query = select(func.min(smev3_outbox.c.next_attempt_at)).where(
        smev3_outbox.c.deployment == deployment,
        smev3_outbox.c.status == OutboxStatus.PENDING.value,
    )
    if channels is not None:
        query = query.where(smev3_outbox.c.channel.in_(list(channels)))
    with engine.connect() as conn:
        value = conn.execute(query).scalar()
    return value if isinstance(value, dt.datetime) else None


def _set(conn: Connection, item_id: int, **values: Any) -> None:
    conn.execute(update(smev3_outbox).where(smev3_outbox.c.id == item_id).values(**values))


def mark_sent(engine: Engine, item_id: int, *, now: dt.datetime | None = None) -> None:
    with engine.begin() as conn:
        _set(
            conn,
            item_id,
            status=OutboxStatus.SENT.value,
            sent_at=now or _now(),
            last_error=None,
            attempts=smev3_outbox.c.attempts + 1,
        )


def mark_delivered(conn: Connection, item_id: int, *, now: dt.datetime | None = None) -> None:
    """A response accepted by СМЭВ (in the caller's transaction, next to its consequences)."""
    moment = now or _now()
    _set(
        conn,
        item_id,
        status=OutboxStatus.DELIVERED.value,
        sent_at=moment,
        finished_at=moment,
        last_error=None,
        attempts=smev3_outbox.c.attempts + 1,
    )


def mark_answered(conn: Connection, item_id: int, *, now: dt.datetime | None = None) -> None:
    _set(conn, item_id, status=OutboxStatus.ANSWERED.value, finished_at=now or _now())


def mark_retry(
    engine: Engine,
    item_id: int,
    error: str,
    next_attempt_at: dt.datetime,
    *,
    new_message_id: str | None = None,
) -> None:
    values: dict[str, Any] = {
        "last_error": error,
        "next_attempt_at": next_attempt_at,
        "attempts": smev3_outbox.c.attempts + 1,
    }
    if new_message_id is not None:
        values["message_id"] = new_message_id
    with engine.begin() as conn:
        _set(conn, item_id, **values)


def mark_failed(
    conn: Connection, item_id: int, error: str, *, now: dt.datetime | None = None
) -> None:
    _set(
        conn,
        item_id,
        status=OutboxStatus.FAILED.value,
        last_error=error,
        finished_at=now or _now(),
        attempts=smev3_outbox.c.attempts + 1,
    )


def requeue_failed(engine: Engine, deployment: str, *, channel: str | None = None) -> int:
    """Put failed pushes back to pending (after the cause is fixed); same message ids."""
    query = (
        update(smev3_outbox)
        .where(
            smev3_outbox.c.deployment == deployment,
            smev3_outbox.c.status == OutboxStatus.FAILED.value,
        )
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=_now(), finished_at=None)
    )
    if channel:
        query = query.where(smev3_outbox.c.channel == channel)
    with engine.begin() as conn:
        return int(conn.execute(query).rowcount or 0)


def by_message_id(conn: Connection, message_id: str) -> Item | None:
    row = (
        conn.execute(select(smev3_outbox).where(smev3_outbox.c.message_id == message_id))
        .mappings()
        .first()
    )
    return _item(row) if row is not None else None


def items(
    engine: Engine,
    *,
    deployment: str | None = None,
    status: OutboxStatus | None = None,
    channel: str | None = None,
    limit: int = 1000,
) -> list[Item]:
    query = select(smev3_outbox).order_by(smev3_outbox.c.id).limit(limit)
    if deployment is not None:
        query = query.where(smev3_outbox.c.deployment == deployment)
    if status is not None:
        query = query.where(smev3_outbox.c.status == status.value)
    if channel is not None:
        query = query.where(smev3_outbox.c.channel == channel)
    with engine.connect() as conn:
        return [_item(r) for r in conn.execute(query).mappings()]


def summary(engine: Engine) -> dict[tuple[str, str], int]:
    """(channel, status) → count."""
    query = select(smev3_outbox.c.channel, smev3_outbox.c.status, func.count()).group_by(
        smev3_outbox.c.channel, smev3_outbox.c.status
    )
    with engine.connect() as conn:
        return {(r[0], r[1]): int(r[2]) for r in conn.execute(query)}


def record_envelope(
    engine: Engine,
    deployment: str,
    *,
    at: dt.datetime,
    direction: str,
    operation: str,
    sha256: str,
    size: int,
    message_id: str | None,
    status: str,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(smev3_envelope).values(
                deployment=deployment,
                at=at,
                direction=direction,
                operation=operation[:30],
                sha256=sha256,
                size=size,
                message_id=message_id,
                status=status[:80],
            )
        )


def envelopes(engine: Engine, *, message_id: str | None = None) -> list[dict[str, Any]]:
    query = select(smev3_envelope).order_by(smev3_envelope.c.id)
    if message_id is not None:
        query = query.where(smev3_envelope.c.message_id == message_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def requeue_item(engine: Engine, item_id: int) -> bool:
    """Put one failed push back to pending (the operator's «вернуть в очередь»); same message id."""
    query = (
        update(smev3_outbox)
        .where(smev3_outbox.c.id == item_id, smev3_outbox.c.status == OutboxStatus.FAILED.value)
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=_now(), finished_at=None)
    )
    with engine.begin() as conn:
        return bool(conn.execute(query).rowcount)
