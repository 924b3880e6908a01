"""The СМЭВ 3 jobs: what ``sverka sync contingent``, ``push contingent``, ``epgu poll``
and the scheduler run.

Each job wires a connector to the store: it reads canonical records, calls the
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
from typing import Any
from urllib.parse import urlparse

from lxml import etree
from sqlalchemy import ColumnElement, Connection, Engine

from canonical.base import Platform, Record
from canonical.contingent import Enrolment, MovementOrder
from canonical.institution import Institution
from canonical.journal import Absence, Homework, Lesson, Mark
from canonical.people import ParentLink, Person
from canonical.requests import EpguRequest, EpguRequestStatus
from canonical.structure import Group, GroupKind, Subject
from connectors.contingent import ContingentConnector
from connectors.contingent.wire import event_xml
from connectors.e_uslugi import EUslugiConnector, receipt_xml
from connectors.epgu import (
    EpguConnector,
    WireCancelRequest,
    WireDiaryRequest,
    cancel_response_xml,
    form_data_response_xml,
)
from connectors.smev3 import (
    EnvelopeRecord,
    HostileEnvelopeError,
    MockSigner,
    NoSigner,
    SmevClient,
    SmevError,
    SmevFaultError,
    SmevSettings,
    SmevTransportError,
    new_message_id,
)
from local_store import outbox
from local_store.history import row_to_record, select_as_of
from local_store.ingest import Snapshot, apply_plan, ingest, plan_snapshot
from local_store.runs import RunStatus, finish_run, start_run
from local_store.schema import version_table
from mapping import contingent as contingent_map
from mapping import e_uslugi as e_uslugi_map
from mapping import epgu as epgu_map

MOVEMENT = "contingent.movement"
EPGU_ANSWER = "epgu.answer"
E_USLUGI_RECEIPT = "e_uslugi.receipt"
JOURNAL_PLATFORMS = (Platform.NETSCHOOL, Platform.POO, Platform.ELJUR, Platform.LOCAL)

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
    signer: str = "mock"
    timeout: float = 30.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    answer_days: int = 5
    """Working days to answer a ЕПГУ application (the deadline tracked per application)."""

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
            backoff_base=float(os.environ.get("SVERKA_SMEV3_BACKOFF", "1.0")),
        )


def make_client(engine: Engine, options: Smev3Options) -> SmevClient:
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

    signer = MockSigner() if options.signer == "mock" else NoSigner()
    settings = SmevSettings(
        url=options.url, version=options.version, mnemonic=options.mnemonic, timeout=options.timeout
    )
    return SmevClient(settings, signer=signer, audit=audit)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _current(conn: Connection, kind: str, *conditions: ColumnElement[bool]) -> list[Record]:
    rows = conn.execute(select_as_of(kind).where(*conditions))
    return [row_to_record(kind, row) for row in rows]


def _journal(kind: str) -> ColumnElement[bool]:
    return version_table(kind).c.platform.in_([p.value for p in JOURNAL_PLATFORMS])


def _ingest_in(
    conn: Connection, run_id: int, scope: str, records: Sequence[Record], kinds: Iterable[str]
) -> None:
    apply_plan(conn, run_id, plan_snapshot(conn, run_id, Snapshot.of(scope, records, kinds)))


# -- the registry's view ----------------------------------------------------------------------


@dataclass
class SyncSummary:
    run_id: int
    students: int
    counts: dict[str, dict[str, int]]


async def sync_contingent(engine: Engine, options: Smev3Options) -> SyncSummary:
    """Pull the registry's view of the organisation into the store (platform ``contingent``)."""
    async with make_client(engine, options) as client:
        view = await ContingentConnector(client).fetch_view(options.org_code)
    kind = GroupKind.CLASS
    with engine.connect() as conn:
        institutions = _current(conn, "institution", _journal("institution"))
    if (
        institutions
        and isinstance(institutions[0], Institution)
        and institutions[0].institution_kind.value == "college"
    ):
        kind = GroupKind.ACADEMIC_GROUP
    records = contingent_map.view_records(view, options.name, kind)
    scope = f"contingent:{options.name}:view:{options.org_code}"
    run_id = start_run(
        engine,
        "contingent",
        deployment=options.name,
        scope=scope,
        job="sync.contingent",
        observed_at=view.as_of,
    )
    try:
        result = ingest(
            engine, run_id, Snapshot.of(scope, records, ("person", "group", "enrolment"))
        )
    except Exception as exc:
        finish_run(engine, run_id, RunStatus.FAILED, error=str(exc)[:500])
        raise
    finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=result.as_dict())
    return SyncSummary(run_id, len(view.students), result.as_dict())


# -- pushing movement orders ------------------------------------------------------------------


@dataclass
class PushPlan:
    queued: list[tuple[MovementOrder, str]] = field(default_factory=list)
    """(order, RecordId) newly written to the outbox (or that would be, in a dry run)."""
    skipped: list[tuple[MovementOrder, str]] = field(default_factory=list)
    already: int = 0


def plan_movement_pushes(
    engine: Engine, options: Smev3Options, *, dry_run: bool = False
) -> PushPlan:
    """Decide which orders go to the registry and queue them, in one transaction."""
    plan = PushPlan()
    with engine.begin() as conn:
        known = outbox.known_keys(conn, MOVEMENT, options.name)
        orders = [
            o
            for o in _current(conn, "movement_order", _journal("movement_order"))
            if isinstance(o, MovementOrder)
        ]
        people = {
            r.source.key(): r
            for r in _current(conn, "person", _journal("person"))
            if isinstance(r, Person)
        }
        groups_by_source: dict[tuple[str, str], dict[str, Group]] = {}
        for g in _current(conn, "group", _journal("group")):
            assert isinstance(g, Group)
            groups_by_source.setdefault(g.source.key()[:2], {})[g.source.external_id] = g
        for order in sorted(
            orders, key=lambda o: (o.order_date, o.effective_date, o.source.external_id)
        ):
            key = contingent_map.event_key(order)
            if key in known:
                plan.already += 1
                continue
            platform, deployment, _ = order.source.key()
            student = people.get((platform, deployment, order.student_id))
            if student is None:
                plan.skipped.append((order, "нет карточки обучающегося в журнале"))
                continue
            event = contingent_map.movement_event(
                order, student, groups_by_source.get((platform, deployment), {}), options.org_code
            )
            plan.queued.append((order, event.record_id))
            if dry_run:
                continue
            outbox.enqueue(
                conn,
                outbox.NewItem(
                    channel=MOVEMENT,
                    deployment=options.name,
                    event_key=key,
                    message_id=new_message_id(),
                    operation="SendRequest",
                    payload=etree.tostring(event_xml(event), encoding="unicode"),
                    subject_kind="person",
                    subject_platform=platform,
                    subject_deployment=deployment,
                    subject_id=order.student_id,
                    meta={"order_id": order.source.external_id, "record_id": event.record_id},
                ),
            )
    return plan


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


class _Runs:
    """One run per job session, opened on first use (feedback and status changes need one).

    :meth:`prepare` a scope *before* opening the write transaction that
    ingests into it: opening a run is a transaction of its own, and SQLite has
    one writer at a time.  Inside the transaction :meth:`for_scope` hands the
    prepared run id back.
    """

    def __init__(self, engine: Engine, source: str, deployment: str, job: str) -> None:
        self.engine, self.source, self.deployment, self.job = engine, source, deployment, job
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
                self.engine, self.source, deployment=self.deployment, scope=scope, job=self.job
            )
            self.scopes = set()
        self.scopes.add(scope)
        self.changes += 1
        return self.run_id

    def finish(self, error: str | None = None) -> None:
        if self.run_id is not None:
            status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
            finish_run(
                self.engine, self.run_id, status, counts={"records": self.changes}, error=error
            )
            self.run_id = None


def _feedback_scope(options: Smev3Options, key: str) -> str:
    return f"contingent:{options.name}:feedback:{key}"


def _fail_movement(
    conn: Connection, runs: _Runs, options: Smev3Options, item: outbox.Item, error: str, code: str
) -> None:
    """A push that can never succeed as is: failed in the outbox, rejected in the store."""
    outbox.mark_failed(conn, item.id, error)
    if item.channel != MOVEMENT or item.subject_id is None:
        return
    scope = _feedback_scope(options, item.event_key)
    record = contingent_map.feedback(
        key=item.event_key,
        deployment=options.name,
        message_id=item.message_id,
        student_id=item.subject_id,
        received_at=_now(),
        refusal=f"{code}: {error}",
    )
    _ingest_in(conn, runs.for_scope(scope), scope, [record], ["registry_feedback"])


def _after_delivery(
    conn: Connection, runs: _Runs, options: Smev3Options, item: outbox.Item
) -> None:
    """A final ЕПГУ answer accepted by СМЭВ: the application's status becomes final in the store."""
    outbox.mark_delivered(conn, item.id)
    final = item.meta.get("final_status")
    if item.channel != EPGU_ANSWER or not final or item.subject_id is None:
        return
    table = version_table("epgu_request")
    current = _current(
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
    scope = epgu_map.scope(options.name, request.order_id)
    _ingest_in(conn, runs.for_scope(scope), scope, [updated], ["epgu_request"])


async def deliver(
    engine: Engine,
    client: SmevClient,
    options: Smev3Options,
    *,
    channels: Iterable[str],
    budget_seconds: float = 60.0,
    clock: Callable[[], dt.datetime] = _now,
) -> DeliveryReport:
    """Send every due outbox row of ``channels``; retry transient faults with backoff."""
    channel_list = list(channels)
    report = DeliveryReport()
    deadline = asyncio.get_running_loop().time() + budget_seconds
    runs = _Runs(engine, "smev3", options.name, "smev3.deliver")
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
    client: SmevClient,
    options: Smev3Options,
    item: outbox.Item,
    report: DeliveryReport,
    runs: _Runs,
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
            outbox.mark_retry(engine, item.id, exc.message, _now(), new_message_id=new_message_id())
            report.retried += 1
        elif exc.retryable:
            outbox.mark_retry(
                engine, item.id, exc.message, _now() + _backoff(options, item.attempts)
            )
            report.retried += 1
        elif exc.name in SYSTEMIC_FAULTS:
            outbox.mark_retry(engine, item.id, exc.message, _now())
            raise DeliveryStopped(f"отправка остановлена: {exc.message}") from None
        else:
            runs.prepare(_feedback_scope(options, item.event_key))
            with engine.begin() as conn:
                _fail_movement(conn, runs, options, item, exc.message, exc.name)
            report.failed.append((item.event_key, exc.message))
        return
    except (SmevTransportError, HostileEnvelopeError) as exc:
        outbox.mark_retry(engine, item.id, exc.message, _now() + _backoff(options, item.attempts))
        report.retried += 1
        return
    if result.already_sent:
        report.already_sent += 1
    if item.operation == "SendRequest":
        outbox.mark_sent(engine, item.id)
        report.sent += 1
    else:
        if item.meta.get("final_status") and item.subject_id is not None:
            runs.prepare(epgu_map.scope(options.name, item.subject_id))
        with engine.begin() as conn:
            _after_delivery(conn, runs, options, item)
        report.delivered += 1


# -- the registry's answers -------------------------------------------------------------------


@dataclass
class FeedbackReport:
    answered: int = 0
    accepted: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(student id, the registry's text) of every non-accepted record."""
    duplicates: int = 0
    stray: int = 0
    waiting: int = 0
    ack_failures: int = 0


async def collect_feedback(
    engine: Engine,
    client: SmevClient,
    options: Smev3Options,
    *,
    budget_seconds: float = 30.0,
    poll_interval: float = 0.2,
) -> FeedbackReport:
    """Take the registry's answers, store each as feedback with its outbox row, then Ack."""
    report = FeedbackReport()
    connector = ContingentConnector(client)
    runs = _Runs(engine, "contingent", options.name, "contingent.feedback")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_seconds
    try:
        while True:
            try:
                answer = await connector.next_movement_answer()
            except SmevError as exc:
                if not exc.retryable or loop.time() >= deadline:
                    raise
                await asyncio.sleep(poll_interval)
                continue
            if answer is None:
                waiting = outbox.items(
                    engine,
                    deployment=options.name,
                    status=outbox.OutboxStatus.SENT,
                    channel=MOVEMENT,
                )
                report.waiting = len(waiting)
                if not waiting or loop.time() >= deadline:
                    break
                await asyncio.sleep(poll_interval)
                continue
            received = answer.received
            original = received.original_message_id
            with engine.connect() as conn:
                known = outbox.by_message_id(conn, original) if original else None
            waiting_states = (outbox.OutboxStatus.SENT, outbox.OutboxStatus.PENDING)
            if known is not None and known.status in waiting_states:
                runs.prepare(_feedback_scope(options, known.event_key))
            with engine.begin() as conn:
                item = outbox.by_message_id(conn, original) if original else None
                if item is None:
                    report.stray += 1
                elif item.status in waiting_states:
                    _store_answer(conn, runs, options, item, answer.result, answer.refusal, report)
                else:
                    report.duplicates += 1
            try:
                await connector.ack(received)
            except SmevError:
                # Stored already: the answer comes again and is then only acknowledged.
                report.ack_failures += 1
    finally:
        runs.finish()
    return report


def _store_answer(
    conn: Connection,
    runs: _Runs,
    options: Smev3Options,
    item: outbox.Item,
    result: Any,
    refusal: str | None,
    report: FeedbackReport,
) -> None:
    assert item.subject_id is not None
    record = contingent_map.feedback(
        key=item.event_key,
        deployment=options.name,
        message_id=item.message_id,
        student_id=item.subject_id,
        received_at=_now(),
        result=result,
        refusal=refusal,
    )
    scope = _feedback_scope(options, item.event_key)
    _ingest_in(conn, runs.for_scope(scope), scope, [record], ["registry_feedback"])
    if refusal is not None:
        outbox.mark_failed(conn, item.id, refusal)
        report.rejected.append((item.subject_id, refusal))
    else:
        outbox.mark_answered(conn, item.id)
        if record.result.value == "ACCEPTED":
            report.accepted += 1
        else:
            report.rejected.append(
                (item.subject_id, f"{record.result.value}: {record.message or ''}")
            )
    report.answered += 1


@dataclass
class PushReport:
    plan: PushPlan
    delivery: DeliveryReport | None
    feedback: FeedbackReport | None


async def push_contingent(
    engine: Engine,
    options: Smev3Options,
    *,
    dry_run: bool = False,
    budget_seconds: float = 60.0,
) -> PushReport:
    plan = plan_movement_pushes(engine, options, dry_run=dry_run)
    if dry_run:
        return PushReport(plan, None, None)
    async with make_client(engine, options) as client:
        delivery = await deliver(
            engine, client, options, channels=[MOVEMENT], budget_seconds=budget_seconds
        )
        feedback = await collect_feedback(
            engine, client, options, budget_seconds=budget_seconds / 2
        )
    return PushReport(plan, delivery, feedback)


# -- ЕПГУ applications ------------------------------------------------------------------------


@dataclass
class EpguReport:
    received: int = 0
    provided: int = 0
    refused: int = 0
    duplicates: int = 0
    unreadable: int = 0
    ack_failures: int = 0
    delivery: DeliveryReport | None = None


@dataclass
class _JournalData:
    people: list[Person]
    links: list[ParentLink]


def _journal_sources(conn: Connection) -> dict[tuple[str, str], _JournalData]:
    sources: dict[tuple[str, str], _JournalData] = {}
    for person in _current(conn, "person", _journal("person")):
        assert isinstance(person, Person)
        sources.setdefault(person.source.key()[:2], _JournalData([], [])).people.append(person)
    for link in _current(conn, "parent_link", _journal("parent_link")):
        assert isinstance(link, ParentLink)
        if link.source.key()[:2] in sources:
            sources[link.source.key()[:2]].links.append(link)
    return sources


def decide_in_store(
    conn: Connection, request: EpguRequest
) -> tuple[epgu_map.Decision, tuple[str, str] | None]:
    """Apply the decision to every journal source; a provided answer wins, then a named refusal."""
    best: tuple[epgu_map.Decision, tuple[str, str] | None] = (
        epgu_map.Decision(None, None, epgu_map.REFUSE_NOT_REPRESENTATIVE),
        None,
    )
    for source, data in sorted(_journal_sources(conn).items()):
        decision = epgu_map.decide(request, data.people, data.links)
        if decision.provide:
            return decision, source
        if decision.parent is not None and best[0].parent is None:
            best = (decision, source)
    return best


def report_from_store(
    conn: Connection,
    options: Smev3Options,
    source: tuple[str, str],
    child: Person,
    start: dt.date,
    end: dt.date,
) -> Any:
    platform, deployment = source

    def of_source(kind: str, *conditions: ColumnElement[bool]) -> list[Record]:
        table = version_table(kind)
        return _current(
            conn, kind, table.c.platform == platform, table.c.deployment == deployment, *conditions
        )

    child_id = child.source.external_id
    mark_t, absence_t, lesson_t = (
        version_table("mark"),
        version_table("absence"),
        version_table("lesson"),
    )
    marks = [m for m in of_source("mark", mark_t.c.f_student_id == child_id) if isinstance(m, Mark)]
    enrolments = [
        e
        for e in of_source("enrolment", version_table("enrolment").c.f_student_id == child_id)
        if isinstance(e, Enrolment)
    ]
    groups = {g.source.external_id: g for g in of_source("group") if isinstance(g, Group)}
    group_ids = epgu_map.child_groups(child_id, enrolments, marks, start, end)
    lessons = [
        les
        for les in of_source(
            "lesson",
            lesson_t.c.f_group_id.in_(sorted(group_ids)),
            lesson_t.c.f_date >= start,
            lesson_t.c.f_date <= end,
        )
        if isinstance(les, Lesson)
    ]
    absent_lessons = [
        a
        for a in of_source(
            "absence",
            absence_t.c.f_student_id == child_id,
            absence_t.c.f_date >= start,
            absence_t.c.f_date <= end,
        )
        if isinstance(a, Absence)
    ]
    lesson_ids = {les.source.external_id for les in lessons} | {
        a.lesson_id for a in absent_lessons if a.lesson_id
    }
    extra = [
        les
        for les in of_source(
            "lesson",
            lesson_t.c.external_id.in_(
                sorted(lesson_ids - {x.source.external_id for x in lessons})
            ),
        )
        if isinstance(les, Lesson)
    ]
    homework_t = version_table("homework")
    homework = [
        h
        for h in of_source(
            "homework",
            homework_t.c.f_lesson_id.in_(sorted({les.source.external_id for les in lessons})),
        )
        if isinstance(h, Homework)
    ]
    subjects = {s.source.external_id: s for s in of_source("subject") if isinstance(s, Subject)}
    return epgu_map.diary_report(
        child,
        start=start,
        end=end,
        org_code=options.org_code,
        org_name=options.org_name,
        groups=groups,
        subjects=subjects,
        enrolments=enrolments,
        lessons=lessons + extra,
        marks=marks,
        absences=absent_lessons,
        homework=homework,
    )


async def poll_epgu(
    engine: Engine, options: Smev3Options, *, limit: int = 500, budget_seconds: float = 60.0
) -> EpguReport:
    """Take applications from the queue, decide each, queue the answers, Ack, deliver."""
    report = EpguReport()
    runs = _Runs(engine, "epgu", options.name, "epgu.poll")
    async with make_client(engine, options) as client:
        connector = EpguConnector(client)
        try:
            for _ in range(limit):
                application = await connector.next_application()
                if application is None:
                    break
                _handle_application(engine, runs, options, application, report)
                try:
                    await connector.ack(application.received)
                except SmevError:
                    # The decision is stored; СМЭВ offers the application again and the
                    # next take only acknowledges it (its answers are already queued).
                    report.ack_failures += 1
        finally:
            runs.finish()
        report.delivery = await deliver(
            engine, client, options, channels=[EPGU_ANSWER], budget_seconds=budget_seconds
        )
    return report


def _answer_item(
    options: Smev3Options,
    key: str,
    reply_to: str,
    payload: etree._Element | None = None,
    **extra: Any,
) -> outbox.NewItem:
    return outbox.NewItem(
        channel=EPGU_ANSWER,
        deployment=options.name,
        event_key=key,
        message_id=new_message_id(),
        operation="SendResponse",
        payload=etree.tostring(payload, encoding="unicode") if payload is not None else None,
        reply_to=reply_to,
        **extra,
    )


def _handle_application(
    engine: Engine, runs: _Runs, options: Smev3Options, application: Any, report: EpguReport
) -> None:
    received = application.received
    base = f"epgu:{received.message_id}"
    now = _now()
    if isinstance(application.request, WireDiaryRequest):
        runs.prepare(epgu_map.scope(options.name, str(application.request.order_id)))
    with engine.begin() as conn:
        if outbox.has_key(conn, EPGU_ANSWER, options.name, base + ":final"):
            report.duplicates += 1
            return
        wire = application.request
        if wire is None:
            outbox.enqueue(
                conn,
                _answer_item(
                    options,
                    base + ":final",
                    received.reply_to,
                    rejection=(
                        "UNKNOWN_REQUEST_DESCRIPTION",
                        f"Заявление не принято: {application.problem}",
                    ),
                ),
            )
            report.unreadable += 1
            return
        if isinstance(wire, WireCancelRequest):
            payload = cancel_response_xml(wire.order_id, "CANCELLED", epgu_map.REFUSE_CANCELLED)
            outbox.enqueue(conn, _answer_item(options, base + ":final", received.reply_to, payload))
            return
        report.received += 1
        deadline = epgu_map.deadline_after(now, options.answer_days)
        request = epgu_map.request_record(
            wire,
            deployment=options.name,
            received_at=now,
            deadline=deadline,
            status=EpguRequestStatus.IN_PROGRESS,
            reason=None,
        )
        decision, source = decide_in_store(conn, request)
        if decision.provide and source is not None and decision.child is not None:
            diary = report_from_store(
                conn, options, source, decision.child, wire.period_start, wire.period_end
            )
            status = epgu_map.status(
                wire.order_id,
                tech_code=epgu_map.PROVIDED_TECH_CODE,
                comment=epgu_map.PROVIDED_COMMENT,
            )
            final_payload = form_data_response_xml(status, diary)
            final_status = EpguRequestStatus.ANSWERED
            report.provided += 1
        else:
            status = epgu_map.status(
                wire.order_id, tech_code=epgu_map.REFUSED_TECH_CODE, comment=decision.refusal or ""
            )
            final_payload = form_data_response_xml(status)
            final_status = EpguRequestStatus.REFUSED
            report.refused += 1
        request = request.model_copy(update={"status_reason": decision.refusal})
        scope = epgu_map.scope(options.name, request.order_id)
        _ingest_in(conn, runs.for_scope(scope), scope, [request], ["epgu_request"])
        received_status = epgu_map.status(
            wire.order_id, org_code=epgu_map.RECEIVED_CODE, comment=epgu_map.RECEIVED_COMMENT
        )
        outbox.enqueue(
            conn,
            _answer_item(
                options,
                base + ":received",
                received.reply_to,
                form_data_response_xml(received_status),
            ),
        )
        outbox.enqueue(
            conn,
            _answer_item(
                options,
                base + ":final",
                received.reply_to,
                final_payload,
                subject_kind="epgu_request",
                subject_platform=Platform.EPGU.value,
                subject_deployment=options.name,
                subject_id=request.source.external_id,
                meta={"final_status": final_status.value},
            ),
        )


# -- «Е-услуги» notices -----------------------------------------------------------------------


@dataclass
class NoticeReport:
    received: int = 0
    duplicates: int = 0
    unreadable: int = 0
    ack_failures: int = 0
    delivery: DeliveryReport | None = None


async def sync_e_uslugi(
    engine: Engine, options: Smev3Options, *, limit: int = 500, budget_seconds: float = 60.0
) -> NoticeReport:
    """Take enrolment notices: each becomes an expected student, and a receipt goes back."""
    report = NoticeReport()
    runs = _Runs(engine, "e_uslugi", options.name, "sync.e_uslugi")
    async with make_client(engine, options) as client:
        connector = EUslugiConnector(client)
        try:
            for _ in range(limit):
                notice = await connector.next_notice()
                if notice is None:
                    break
                key = f"e_uslugi:{notice.received.message_id}"
                if notice.notice is not None:
                    runs.prepare(e_uslugi_map.scope(options.name, notice.notice))
                with engine.begin() as conn:
                    if outbox.has_key(conn, E_USLUGI_RECEIPT, options.name, key):
                        report.duplicates += 1
                    elif notice.notice is None:
                        outbox.enqueue(
                            conn,
                            outbox.NewItem(
                                channel=E_USLUGI_RECEIPT,
                                deployment=options.name,
                                event_key=key,
                                message_id=new_message_id(),
                                operation="SendResponse",
                                reply_to=notice.received.reply_to,
                                rejection=(
                                    "UNKNOWN_REQUEST_DESCRIPTION",
                                    f"Уведомление не принято: {notice.problem}",
                                ),
                            ),
                        )
                        report.unreadable += 1
                    else:
                        record = e_uslugi_map.expected_enrolment(notice.notice, options.name)
                        scope = e_uslugi_map.scope(options.name, notice.notice)
                        _ingest_in(
                            conn, runs.for_scope(scope), scope, [record], ["expected_enrolment"]
                        )
                        outbox.enqueue(
                            conn,
                            outbox.NewItem(
                                channel=E_USLUGI_RECEIPT,
                                deployment=options.name,
                                event_key=key,
                                message_id=new_message_id(),
                                operation="SendResponse",
                                reply_to=notice.received.reply_to,
                                payload=etree.tostring(
                                    receipt_xml(notice.notice.application_number, "RECEIVED"),
                                    encoding="unicode",
                                ),
                            ),
                        )
                        report.received += 1
                try:
                    await connector.ack(notice.received)
                except SmevError:
                    report.ack_failures += 1
        finally:
            runs.finish()
        report.delivery = await deliver(
            engine, client, options, channels=[E_USLUGI_RECEIPT], budget_seconds=budget_seconds
        )
    return report
