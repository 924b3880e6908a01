"""What every СМЭВ 3 job shares: options, the audited client, store helpers and delivery.

The jobs themselves are in ``pipelines.smev3.contingent`` (the registry) and
``pipelines.smev3.epgu`` (ЕПГУ applications, «Е-услуги» notices).  Each job wires a connector to the store: it reads canonical records, calls the
pure mapping, writes the outbox and the store in one transaction per decision,
and only then talks to СМЭВ.  Delivery sends the message id fixed in the
outbox, so any crash leaves either an un-sent row (sent later under the same
id) or a sent row (СМЭВ says ``MessageIsAlreadySent``, which counts as sent).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from lxml import etree
from sqlalchemy import ColumnElement, Connection, Engine

from canonical.base import Platform, Record
from canonical.requests import EpguRequest, EpguRequestStatus
from connectors.smev3 import gost
from connectors.smev3.adapter import AdapterClient
from connectors.smev3.client import EnvelopeRecord, SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import (
    HostileEnvelopeError,
    SmevError,
    SmevFaultError,
    SmevTransportError,
)
from connectors.smev3.signing import GostSigner, MockSigner, NoSigner, Signer
from connectors.smev3.transport import Smev3Transport
from local_store import outbox
from local_store.history import row_to_record, select_as_of
from local_store.ingest import Snapshot, apply_plan, plan_snapshot
from local_store.runs import RunStatus, finish_run, start_run
from local_store.schema import version_table
from mapping import contingent as contingent_map
from pipelines import scopes
from pipelines.settings import read_secret
from pipelines.smev3.channels import E_USLUGI_RECEIPT as E_USLUGI_RECEIPT
from pipelines.smev3.channels import EPGU_ANSWER as EPGU_ANSWER
from pipelines.smev3.channels import MOVEMENT as MOVEMENT

JOURNAL_PLATFORMS = (Platform.NETSCHOOL, Platform.POO, Platform.ELJUR, Platform.LOCAL)

KEY_PASSWORD_ENV = "SVERKA_SMEV3_KEY_PASSWORD"

SYSTEMIC_FAULTS = frozenset(
    {"AccessDenied", "PersonalAccessDenied", "SenderIsNotRegistered", "SignatureVerificationFault"}
)
"""Faults about the system, not the message: stop delivering, keep every row pending."""


class DeliveryStopped(SmevError):
    """Delivery stopped on a fault that every further message would hit too."""


@dataclass(frozen=True)
class Smev3Options:
    url: str
    org_code: str
    version: str = "1.2"
    mnemonic: str | None = None
    deployment: str = ""
    org_name: str = "Образовательная организация"
    transport: str = "smev"
    """``smev`` (``direct`` in the settings and commands): SOAP straight to СМЭВ at ``url``;
    ``adapter``: «Адаптер СМЭВ» at ``url`` (it signs and polls itself; ``mnemonic`` is the
    ``itSystem``)."""
    signer: str = "mock"
    """``gost`` (ЭП-ОВ, what the real СМЭВ requires), ``mock`` (the demo emulator) or ``none``."""
    key_file: str | None = None
    """``gost``: PKCS#12 (.p12/.pfx) or PEM with the ЭП-ОВ key and certificate."""
    smev_certificate: str | None = None
    """``gost``: PEM/DER certificate of СМЭВ whose signature on answers is trusted (any if unset)."""
    secrets_file: str | None = None
    """0600 ``KEY=value`` file with ``SVERKA_SMEV3_KEY_PASSWORD`` when not in the environment."""
    timeout: float = 30.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    answer_days: int = 5
    """Working days to answer a ЕПГУ application (the deadline tracked per application)."""
    timezone: str = "Europe/Moscow"
    """The institution's time zone, in which the answer deadline's working days run."""
    profile: str | None = None
    """The institution's profile: what its e-diary service requires (``[epgu]``)."""
    data_clock: Callable[[], dt.datetime] | None = field(default=None, compare=False)
    """The moment an exchange's data belongs to (the observation time of its runs, the
    receipt of an application or a feedback); ``None``: the wall clock, right for a live
    exchange.  A replay sets it to the replayed moment so nothing is dated in the future."""

    def observed_now(self) -> dt.datetime:
        return self.data_clock() if self.data_clock is not None else utc_now()

    @property
    def exchange_mode(self) -> str:
        """How this run reached СМЭВ, kept in its run record: ``adapter`` or ``smev:<signer>``."""
        return "adapter" if self.transport == "adapter" else f"smev:{self.signer}"

    @property
    def name(self) -> str:
        return self.deployment or urlparse(self.url).netloc or self.url

    @classmethod
    def from_env(
        cls,
        *,
        url: str | None = None,
        org_code: str | None = None,
        version: str | None = None,
        mnemonic: str | None = None,
        deployment: str | None = None,
        signer: str | None = None,
        transport: str | None = None,
    ) -> Smev3Options:
        url = url or os.environ.get("SVERKA_SMEV3_URL")
        org_code = org_code or os.environ.get("SVERKA_ORG_CODE")
        if not url:
            raise SmevError("не задан адрес СМЭВ: укажите --url или SVERKA_SMEV3_URL")
        if not org_code:
            raise SmevError("не задан код организации: укажите --org-code или SVERKA_ORG_CODE")
        return cls(
            url=url,
            org_code=org_code,
            version=version or os.environ.get("SVERKA_SMEV3_VERSION", "1.2"),
            mnemonic=mnemonic or os.environ.get("SVERKA_SMEV3_MNEMONIC"),
            deployment=deployment or os.environ.get("SVERKA_SMEV3_DEPLOYMENT", ""),
            signer=signer or os.environ.get("SVERKA_SMEV3_SIGNER", "mock"),
            transport=transport_name(
                transport or os.environ.get("SVERKA_SMEV3_TRANSPORT", "direct")
            ),
            key_file=os.environ.get("SVERKA_SMEV3_KEY"),
            smev_certificate=os.environ.get("SVERKA_SMEV3_SMEV_CERT"),
            secrets_file=os.environ.get("SVERKA_SECRETS_FILE"),
            backoff_base=float(os.environ.get("SVERKA_SMEV3_BACKOFF", "1.0")),
            timezone=os.environ.get("SVERKA_TIMEZONE", "Europe/Moscow"),
        )


TRANSPORTS = {"direct": "smev", "smev": "smev", "adapter": "adapter"}
"""The ways into СМЭВ the settings may name → :attr:`Smev3Options.transport`."""


def transport_name(value: str) -> str:
    """``direct`` (or the older ``smev``) or ``adapter``; anything else stops with a reason."""
    name = TRANSPORTS.get(value.strip().lower())
    if name is None:
        raise SmevError(
            f"неизвестный путь в СМЭВ «{value}»: direct (напрямую, со своей ЭП-ОВ) "
            "или adapter (через «Адаптер СМЭВ»)"
        )
    return name


def make_client(engine: Engine, options: Smev3Options) -> Smev3Transport:
    """A СМЭВ client whose every envelope lands in the store's audit."""

    def audit(record: EnvelopeRecord) -> None:
        outbox.record_envelope(
            engine,
            options.name,
            at=record.at,
            direction=record.direction,
            operation=record.operation,
            sha256=record.sha256,
            size=record.size,
            message_id=record.message_id,
            status=record.status,
        )

    settings = SmevSettings(
        url=options.url, version=options.version, mnemonic=options.mnemonic, timeout=options.timeout
    )
    if options.transport == "adapter":
        if not options.mnemonic:
            raise SmevError("для адаптера СМЭВ укажите мнемонику ИС (SVERKA_SMEV3_MNEMONIC)")
        return AdapterClient(settings, options.mnemonic, audit=audit)
    if transport_name(options.transport) != "smev":
        raise SmevError(f"неизвестный путь в СМЭВ «{options.transport}»")
    return SmevClient(settings, signer=make_signer(options), audit=audit)


def make_signer(options: Smev3Options) -> Signer:
    """The signer the settings choose; a ``gost`` key that cannot be used stops with its reason."""
    if options.signer == "mock":
        return MockSigner()
    if options.signer == "none":
        return NoSigner()
    if options.signer != "gost":
        raise SmevError(f"неизвестный способ подписи «{options.signer}»: gost, mock или none")
    if not options.key_file:
        raise SmevError("для подписи gost укажите файл ключа ЭП-ОВ в SVERKA_SMEV3_KEY")
    password = read_secret(KEY_PASSWORD_ENV, options.secrets_file)
    key = gost.load_key(options.key_file, password)
    smev_certificate = (
        gost.load_certificate(options.smev_certificate) if options.smev_certificate else None
    )
    return GostSigner(key, smev_certificate)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def current_records(conn: Connection, kind: str, *conditions: ColumnElement[bool]) -> list[Record]:
    rows = conn.execute(select_as_of(kind).where(*conditions))
    return [row_to_record(kind, row) for row in rows]


def journal_only(kind: str) -> ColumnElement[bool]:
    return version_table(kind).c.platform.in_([p.value for p in JOURNAL_PLATFORMS])


def ingest_in(
    conn: Connection, run_id: int, scope: str, records: Sequence[Record], kinds: Iterable[str]
) -> None:
    apply_plan(conn, run_id, plan_snapshot(conn, run_id, Snapshot.of(scope, records, kinds)))


# -- delivery ---------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    delivered: int = 0
    already_sent: int = 0
    retried: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(event key, Russian error) of rows that failed for good."""


def _backoff(options: Smev3Options, attempts: int) -> dt.timedelta:
    delay = min(options.backoff_cap, options.backoff_base * (2 ** max(attempts, 0)))
    return dt.timedelta(seconds=delay * random.uniform(0.8, 1.2))


def _parse_payload(payload: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(payload.encode("utf-8"), parser=parser)


class RunLog:
    """One run per job session, opened on first use (feedback and status changes need one).

    :meth:`prepare` a scope *before* opening the write transaction that
    ingests into it: opening a run is a transaction of its own, and SQLite has
    one writer at a time.  Inside the transaction :meth:`for_scope` hands the
    prepared run id back.
    """

    def __init__(
        self,
        engine: Engine,
        source: str,
        deployment: str,
        job: str,
        observed: Callable[[], dt.datetime] = lambda: utc_now(),
        mode: str = "",
    ) -> None:
        self.engine, self.source, self.deployment, self.job = engine, source, deployment, job
        self.observed = observed
        self.mode = mode
        """The СМЭВ exchange mode (:attr:`Smev3Options.exchange_mode`), written into the run."""
        self.run_id: int | None = None
        self.scopes: set[str] = set()
        self.changes = 0

    def for_scope(self, scope: str) -> int:
        if self.run_id is None or scope not in self.scopes:
            raise RuntimeError(f"run for scope {scope!r} was not prepared")
        return self.run_id

    def prepare(self, scope: str) -> int:
        if self.run_id is None or scope in self.scopes:
            if self.run_id is not None:
                self.finish()
            self.run_id = start_run(
                self.engine,
                self.source,
                deployment=self.deployment,
                scope=scope,
                job=self.job,
                observed_at=self.observed(),
            )
            self.scopes = set()
        self.scopes.add(scope)
        self.changes += 1
        return self.run_id

    def finish(self, error: str | None = None) -> None:
        if self.run_id is not None:
            status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
            counts: dict[str, object] = {"records": self.changes}
            if self.mode:
                counts["smev_mode"] = self.mode
            finish_run(self.engine, self.run_id, status, counts=counts, error=error)
            self.run_id = None


def feedback_scope(options: Smev3Options, key: str) -> str:
    return scopes.contingent_feedback(options.name, key)


def _fail_movement(
    conn: Connection, runs: RunLog, options: Smev3Options, item: outbox.Item, error: str, code: str
) -> None:
    """A push that can never succeed as is: failed in the outbox, rejected in the store."""
    outbox.mark_failed(conn, item.id, error)
    if item.channel != MOVEMENT or item.subject_id is None:
        return
    scope = feedback_scope(options, item.event_key)
    record = contingent_map.feedback(
        key=item.event_key,
        deployment=options.name,
        message_id=item.message_id,
        student_id=item.subject_id,
        received_at=options.observed_now(),
        refusal=f"{code}: {error}",
    )
    ingest_in(conn, runs.for_scope(scope), scope, [record], ["registry_feedback"])


def _after_delivery(
    conn: Connection, runs: RunLog, options: Smev3Options, item: outbox.Item
) -> None:
    """A final ЕПГУ answer accepted by СМЭВ: the application's status becomes final in the store."""
    outbox.mark_delivered(conn, item.id)
    final = item.meta.get("final_status")
    if item.channel != EPGU_ANSWER or not final or item.subject_id is None:
        return
    table = version_table("epgu_request")
    current = current_records(
        conn,
        "epgu_request",
        table.c.external_id == item.subject_id,
        table.c.deployment == options.name,
    )
    if not current:
        return
    request = current[0]
    assert isinstance(request, EpguRequest)
    updated = request.model_copy(update={"status": EpguRequestStatus(final)})
    scope = scopes.epgu_request(options.name, request.order_id)
    ingest_in(conn, runs.for_scope(scope), scope, [updated], ["epgu_request"])


async def deliver(
    engine: Engine,
    client: Smev3Transport,
    options: Smev3Options,
    *,
    channels: Iterable[str],
    budget_seconds: float = 60.0,
    clock: Callable[[], dt.datetime] = utc_now,
) -> DeliveryReport:
    """Send every due outbox row of ``channels``; retry transient faults with backoff."""
    channel_list = list(channels)
    report = DeliveryReport()
    deadline = asyncio.get_running_loop().time() + budget_seconds
    runs = RunLog(
        engine, "smev3", options.name, "smev3.deliver", options.observed_now, options.exchange_mode
    )
    try:
        while True:
            batch = outbox.due(engine, options.name, channels=channel_list, now=clock())
            if not batch:
                upcoming = outbox.next_due_at(engine, options.name, channel_list)
                remaining = deadline - asyncio.get_running_loop().time()
                if upcoming is None or remaining <= 0:
                    break
                wait = (upcoming - clock()).total_seconds()
                if wait > remaining:
                    break
                await asyncio.sleep(max(wait, 0.01))
                continue
            for item in batch:
                await _deliver_one(engine, client, options, item, report, runs)
    finally:
        runs.finish()
    return report


async def _deliver_one(
    engine: Engine,
    client: Smev3Transport,
    options: Smev3Options,
    item: outbox.Item,
    report: DeliveryReport,
    runs: RunLog,
) -> None:
    try:
        if item.operation == "SendRequest":
            assert item.payload is not None
            result = await client.send_request(
                _parse_payload(item.payload), item.message_id, test=item.test
            )
        else:
            assert item.reply_to is not None
            content = _parse_payload(item.payload) if item.payload else None
            result = await client.send_response(
                item.reply_to, item.message_id, content, rejection=item.rejection
            )
    except SmevFaultError as exc:
        if exc.name == "StaleMessageId":
            # The id was minted too long ago: a new one; the registry's RecordId keeps it idempotent.
            outbox.mark_retry(
                engine, item.id, exc.message, utc_now(), new_message_id=new_message_id()
            )
            report.retried += 1
        elif exc.retryable:
            outbox.mark_retry(
                engine, item.id, exc.message, utc_now() + _backoff(options, item.attempts)
            )
            report.retried += 1
        elif exc.name in SYSTEMIC_FAULTS:
            outbox.mark_retry(engine, item.id, exc.message, utc_now())
            raise DeliveryStopped(f"отправка остановлена: {exc.message}") from None
        else:
            runs.prepare(feedback_scope(options, item.event_key))
            with engine.begin() as conn:
                _fail_movement(conn, runs, options, item, exc.message, exc.name)
            report.failed.append((item.event_key, exc.message))
        return
    except (SmevTransportError, HostileEnvelopeError) as exc:
        outbox.mark_retry(
            engine, item.id, exc.message, utc_now() + _backoff(options, item.attempts)
        )
        report.retried += 1
        return
    if result.already_sent:
        report.already_sent += 1
    if item.operation == "SendRequest":
        outbox.mark_sent(engine, item.id)
        report.sent += 1
    else:
        if item.meta.get("final_status") and item.subject_id is not None:
            runs.prepare(scopes.epgu_request(options.name, item.subject_id))
        with engine.begin() as conn:
            _after_delivery(conn, runs, options, item)
        report.delivered += 1
