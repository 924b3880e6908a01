"""Tables of the СМЭВ 3 exchanges: the outbox of pushes and the envelope audit.

An outbox row is written in the same transaction as the decision to push
(a movement order to the registry, an answer to ЕПГУ, a receipt to
«Е-услуги»), with the СМЭВ ``MessageID`` minted at that moment: delivery
reuses it, so a retry after a crash or a lost reply is recognised by СМЭВ
(``MessageIsAlreadySent``) and never becomes a second message.

The envelope audit keeps, for every envelope sent or received, its SHA-256,
size, message id and status, never its content (the store already holds the
data; the audit proves what went over the wire and when).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from local_store.metadata import metadata
from local_store.types import UTCDateTime

smev3_outbox = Table(
    "smev3_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(40), nullable=False),
    # ``contingent.movement``, ``epgu.answer``, ``e_uslugi.receipt``
    Column("deployment", String(200), nullable=False),
    Column("event_key", String(400), nullable=False),
    Column("message_id", String(36), nullable=False),
    Column("operation", String(20), nullable=False),
    # ``SendRequest`` or ``SendResponse``
    Column("reply_to", Text, nullable=True),
    Column("payload", Text, nullable=True),
    # the business document (XML) exactly as it will be sent
    Column("rejection", JSON, nullable=True),
    # [code, text] of a RequestRejected answer instead of a document
    Column("test", Boolean, nullable=False, server_default="0"),
    Column("subject_kind", String(40), nullable=True),
    Column("subject_platform", String(20), nullable=True),
    Column("subject_deployment", String(200), nullable=True),
    Column("subject_id", String(200), nullable=True),
    Column("meta", JSON, nullable=True),
    Column("status", String(20), nullable=False),
    # pending → sent → answered (requests) | pending → delivered (responses) | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    UniqueConstraint("channel", "deployment", "event_key", name="uq_smev3_outbox_event"),
    UniqueConstraint("message_id", name="uq_smev3_outbox_message_id"),
    Index("ix_smev3_outbox_due", "status", "next_attempt_at"),
)

smev3_envelope = Table(
    "smev3_envelope",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deployment", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("direction", String(3), nullable=False),
    Column("operation", String(30), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("message_id", String(36), nullable=True),
    Column("status", String(80), nullable=False),
    Index("ix_smev3_envelope_message", "message_id"),
    Index("ix_smev3_envelope_at", "deployment", "at"),
)
