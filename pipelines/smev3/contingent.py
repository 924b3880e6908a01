"""The registry jobs: pull its view, push movement orders through the outbox, take its answers.

``sverka sync contingent`` and ``sverka push contingent`` (and the scheduler)
call these.  Every order is queued in the transaction that decides to push
it; delivery and the answers go through ``pipelines.smev3.common``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import Connection, Engine

from canonical.contingent import MovementOrder
from canonical.institution import Institution
from canonical.people import Person
from canonical.structure import Group, GroupKind
from connectors.contingent.client import ContingentConnector, MovementAnswer
from connectors.contingent.wire import event_xml
from connectors.smev3.client import new_message_id
from connectors.smev3.errors import SmevError
from connectors.smev3.transport import Smev3Transport
from local_store import outbox
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from mapping import contingent as contingent_map
from pipelines import scopes
from pipelines.smev3.common import (
    MOVEMENT,
    DeliveryReport,
    RunLog,
    Smev3Options,
    current_records,
    deliver,
    feedback_scope,
    ingest_in,
    journal_only,
    make_client,
)

# -- the registry's view ----------------------------------------------------------------------


@dataclass
class SyncSummary:
    run_id: int
    students: int
    counts: dict[str, dict[str, int]]


async def sync_contingent(
    engine: Engine, options: Smev3Options, *, observed_at: dt.datetime | None = None
) -> SyncSummary:
    """Pull the registry's view of the organisation into the store (platform ``contingent``).

    The run is dated by the registry's own «as of» unless ``observed_at`` says otherwise
    (a replay, whose registry answers in today's time about the scenario's days).
    """
    async with make_client(engine, options) as client:
        view = await ContingentConnector(client).fetch_view(options.org_code)
    kind = GroupKind.CLASS
    with engine.connect() as conn:
        institutions = current_records(conn, "institution", journal_only("institution"))
    if (
        institutions
        and isinstance(institutions[0], Institution)
        and institutions[0].institution_kind.value == "college"
    ):
        kind = GroupKind.ACADEMIC_GROUP
    records = contingent_map.view_records(view, options.name, kind)
    scope = scopes.contingent_view(options.name, options.org_code)
    run_id = start_run(
        engine,
        "contingent",
        deployment=options.name,
        scope=scope,
        job="sync.contingent",
        observed_at=observed_at or view.as_of,
    )
    try:
        result = ingest(
            engine,
            run_id,
            Snapshot.of(scope, records, ("person", "group", "enrolment", "movement_order")),
        )
    except Exception as exc:
        finish_run(engine, run_id, RunStatus.FAILED, error=str(exc)[:500])
        raise
    counts = {**result.as_dict(), "smev_mode": options.exchange_mode}
    finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=counts)
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
            for o in current_records(conn, "movement_order", journal_only("movement_order"))
            if isinstance(o, MovementOrder)
        ]
        people = {
            r.source.key(): r
            for r in current_records(conn, "person", journal_only("person"))
            if isinstance(r, Person)
        }
        groups_by_source: dict[tuple[str, str], dict[str, Group]] = {}
        for g in current_records(conn, "group", journal_only("group")):
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
    recovered: int = 0
    """Answers found again (``Find``) for rows an earlier process sent and left unanswered."""


async def collect_feedback(
    engine: Engine,
    client: Smev3Transport,
    options: Smev3Options,
    *,
    budget_seconds: float = 30.0,
    poll_interval: float = 0.2,
    search: Sequence[str] = (),
) -> FeedbackReport:
    """Take the registry's answers, store each as feedback with its outbox row, then Ack.

    ``search``: message ids of rows an earlier process sent and left unanswered; their
    answers are looked for first (``Find``), since «Адаптер СМЭВ» hands an answer over
    only once and that process may have died between taking and storing it.
    """
    report = FeedbackReport()
    connector = ContingentConnector(client)
    runs = RunLog(
        engine,
        "contingent",
        options.name,
        "contingent.feedback",
        options.observed_now,
        options.exchange_mode,
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_seconds
    try:
        for message_id in search:
            try:
                found = await connector.movement_answers_to(message_id)
            except SmevError:
                break  # the rows stay sent; the next run searches again
            for again in found:
                await _take_answer(engine, connector, runs, options, again, report)
                report.recovered += 1
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
            await _take_answer(engine, connector, runs, options, answer, report)
    finally:
        runs.finish()
    return report


async def _take_answer(
    engine: Engine,
    connector: ContingentConnector,
    runs: RunLog,
    options: Smev3Options,
    answer: MovementAnswer,
    report: FeedbackReport,
) -> None:
    """Store one answer with its outbox row (once: a repeat only counts), then Ack it."""
    received = answer.received
    original = received.original_message_id
    with engine.connect() as conn:
        known = outbox.by_message_id(conn, original) if original else None
    waiting_states = (outbox.OutboxStatus.SENT, outbox.OutboxStatus.PENDING)
    if known is not None and known.status in waiting_states:
        runs.prepare(feedback_scope(options, known.event_key))
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


def _store_answer(
    conn: Connection,
    runs: RunLog,
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
        received_at=options.observed_now(),
        result=result,
        refusal=refusal,
    )
    scope = feedback_scope(options, item.event_key)
    ingest_in(conn, runs.for_scope(scope), scope, [record], ["registry_feedback"])
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
    # Sent by an earlier process and still unanswered: their answers may have been taken.
    unanswered = outbox.items(
        engine, deployment=options.name, status=outbox.OutboxStatus.SENT, channel=MOVEMENT
    )
    async with make_client(engine, options) as client:
        delivery = await deliver(
            engine, client, options, channels=[MOVEMENT], budget_seconds=budget_seconds
        )
        feedback = await collect_feedback(
            engine,
            client,
            options,
            budget_seconds=budget_seconds / 2,
            search=[item.message_id for item in unanswered],
        )
    return PushReport(plan, delivery, feedback)
