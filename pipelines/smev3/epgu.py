"""Incoming applications: ЕПГУ e-diary requests and «Е-услуги» enrolment notices.

``sverka epgu poll`` and ``sverka sync e-uslugi`` (and the scheduler) call
these.  Each application is decided and its answers queued in one
transaction, acknowledged after that, and answered through the outbox.

«Адаптер СМЭВ» hands a message over once (``Get``), so before taking new ones
each poll asks it (``Find`` by period) for what it handed out since the last
stored incoming message, less :data:`SEARCH_MARGIN`: a message a killed
process took but never stored is stored now, one already stored only counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy import ColumnElement, Connection, Engine

from canonical.base import Platform, Record
from canonical.contingent import Enrolment
from canonical.journal import Absence, Homework, Lesson, Mark
from canonical.people import ParentLink, Person
from canonical.requests import EpguRequest, EpguRequestStatus
from canonical.structure import Group, Subject
from connectors.e_uslugi.client import EUslugiConnector, Notice
from connectors.e_uslugi.wire import receipt_xml
from connectors.epgu.client import EpguConnector
from connectors.epgu.wire import (
    WireCancelRequest,
    WireDiaryRequest,
    cancel_response_xml,
    form_data_response_xml,
)
from connectors.smev3.client import new_message_id
from connectors.smev3.errors import SmevError
from local_store import outbox
from local_store.schema import version_table
from mapping import e_uslugi as e_uslugi_map
from mapping import epgu as epgu_map
from pipelines import scopes
from pipelines.smev3.common import (
    E_USLUGI_RECEIPT,
    EPGU_ANSWER,
    DeliveryReport,
    RunLog,
    Smev3Options,
    current_records,
    deliver,
    ingest_in,
    journal_only,
    make_client,
)
from policies import epgu as epgu_policy
from policies.calendar import WorkCalendar

SEARCH_MARGIN = dt.timedelta(hours=1)
"""How far before the last stored incoming message's time the search by period starts:
room for the difference between Sverka's data time and the adapter's clock, and for
messages the adapter took out of order.  What it finds again costs one lookup each."""
FIRST_SEARCH = dt.timedelta(days=1)
"""With no incoming message stored yet, how far back from the data time to search."""


def search_since(engine: Engine, channel: str, options: Smev3Options, key_like: str) -> dt.datetime:
    """Where a search for incoming messages taken but never stored starts (data time, UTC)."""
    with engine.connect() as conn:
        last = outbox.last_received_at(conn, channel, options.name, key_like)
    if last is None:
        return options.observed_now() - FIRST_SEARCH
    return last - SEARCH_MARGIN


def _received_meta(moment: dt.datetime) -> dict[str, str]:
    return {outbox.RECEIVED_AT: moment.astimezone(dt.UTC).isoformat()}


# -- ЕПГУ applications ------------------------------------------------------------------------


@dataclass
class EpguReport:
    received: int = 0
    provided: int = 0
    refused: int = 0
    duplicates: int = 0
    unreadable: int = 0
    ack_failures: int = 0
    found_again: int = 0
    """Applications an earlier process took from the adapter but never stored, stored now."""
    found_known: int = 0
    """Applications the search by period found that were stored already (nothing done)."""
    delivery: DeliveryReport | None = None


@dataclass
class _JournalData:
    people: list[Person]
    links: list[ParentLink]


def _journal_sources(conn: Connection) -> dict[tuple[str, str], _JournalData]:
    sources: dict[tuple[str, str], _JournalData] = {}
    for person in current_records(conn, "person", journal_only("person")):
        assert isinstance(person, Person)
        sources.setdefault(person.source.key()[:2], _JournalData([], [])).people.append(person)
    for link in current_records(conn, "parent_link", journal_only("parent_link")):
        assert isinstance(link, ParentLink)
        if link.source.key()[:2] in sources:
            sources[link.source.key()[:2]].links.append(link)
    return sources


def decide_in_store(
    conn: Connection, request: EpguRequest, requirements: epgu_policy.Requirements | None = None
) -> tuple[epgu_policy.Decision, tuple[str, str] | None]:
    """Apply the decision to every journal source (``policies.epgu.decide_across``)."""
    sources = {k: (d.people, d.links) for k, d in _journal_sources(conn).items()}
    return epgu_policy.decide_across(request, sources, requirements)


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
        return current_records(
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


def _requirements(options: Smev3Options) -> epgu_policy.Requirements:
    """The institution's profile's requirements (``[epgu]``), else the project's minimum."""
    if not options.profile:
        return epgu_policy.Requirements()
    from policies.profiles import load_profile

    return epgu_policy.Requirements.of_profile(load_profile(options.profile))


async def poll_epgu(
    engine: Engine, options: Smev3Options, *, limit: int = 500, budget_seconds: float = 60.0
) -> EpguReport:
    """Take applications from the queue, decide each, queue the answers, Ack, deliver."""
    report = EpguReport()
    runs = RunLog(
        engine, "epgu", options.name, "epgu.poll", options.observed_now, options.exchange_mode
    )
    since = search_since(engine, EPGU_ANSWER, options, "epgu:%:final")
    async with make_client(engine, options) as client:
        connector = EpguConnector(client)
        try:
            # A search that fails stops the poll: taking new applications first would
            # move the starting point of the next search past the lost ones.
            for found in await connector.applications_since(since):
                if _handle_application(engine, runs, options, found, report):
                    report.found_again += 1
                else:
                    report.found_known += 1
            for _ in range(limit):
                application = await connector.next_application()
                if application is None:
                    break
                if not _handle_application(engine, runs, options, application, report):
                    report.duplicates += 1
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
    engine: Engine, runs: RunLog, options: Smev3Options, application: Any, report: EpguReport
) -> bool:
    """Decide and queue the answers in one transaction; ``False`` if stored before
    (the application's СМЭВ message id is the key)."""
    received = application.received
    base = f"epgu:{received.message_id}"
    now = options.observed_now()
    with engine.connect() as conn:
        if outbox.has_key(conn, EPGU_ANSWER, options.name, base + ":final"):
            return False
    if isinstance(application.request, WireDiaryRequest):
        runs.prepare(scopes.epgu_request(options.name, str(application.request.order_id)))
    with engine.begin() as conn:
        if outbox.has_key(conn, EPGU_ANSWER, options.name, base + ":final"):
            return False
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
                    meta=_received_meta(now),
                ),
            )
            report.unreadable += 1
            return True
        if isinstance(wire, WireCancelRequest):
            payload = cancel_response_xml(wire.order_id, "CANCELLED", epgu_policy.REFUSE_CANCELLED)
            outbox.enqueue(
                conn,
                _answer_item(
                    options, base + ":final", received.reply_to, payload, meta=_received_meta(now)
                ),
            )
            return True
        report.received += 1
        deadline = epgu_policy.answer_deadline(
            now, options.answer_days, WorkCalendar(timezone=options.timezone)
        )
        request = epgu_map.request_record(
            wire,
            deployment=options.name,
            received_at=now,
            deadline=deadline,
            status=EpguRequestStatus.IN_PROGRESS,
            reason=None,
        )
        decision, source = decide_in_store(conn, request, _requirements(options))
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
        scope = scopes.epgu_request(options.name, request.order_id)
        ingest_in(conn, runs.for_scope(scope), scope, [request], ["epgu_request"])
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
                meta={"final_status": final_status.value, **_received_meta(now)},
            ),
        )
    return True


# -- «Е-услуги» notices -----------------------------------------------------------------------


@dataclass
class NoticeReport:
    received: int = 0
    duplicates: int = 0
    unreadable: int = 0
    ack_failures: int = 0
    found_again: int = 0
    """Notices an earlier process took from the adapter but never stored, stored now."""
    found_known: int = 0
    """Notices the search by period found that were stored already (nothing done)."""
    delivery: DeliveryReport | None = None


async def sync_e_uslugi(
    engine: Engine, options: Smev3Options, *, limit: int = 500, budget_seconds: float = 60.0
) -> NoticeReport:
    """Take enrolment notices: each becomes an expected student, and a receipt goes back."""
    report = NoticeReport()
    runs = RunLog(
        engine,
        "e_uslugi",
        options.name,
        "sync.e_uslugi",
        options.observed_now,
        options.exchange_mode,
    )
    since = search_since(engine, E_USLUGI_RECEIPT, options, "e_uslugi:%")
    async with make_client(engine, options) as client:
        connector = EUslugiConnector(client)
        try:
            for found_notice in await connector.notices_since(since):
                if _handle_notice(engine, runs, options, found_notice, report):
                    report.found_again += 1
                else:
                    report.found_known += 1
            for _ in range(limit):
                notice = await connector.next_notice()
                if notice is None:
                    break
                if not _handle_notice(engine, runs, options, notice, report):
                    report.duplicates += 1
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


def _handle_notice(
    engine: Engine, runs: RunLog, options: Smev3Options, notice: Notice, report: NoticeReport
) -> bool:
    """Store the expected student and queue the receipt in one transaction; ``False`` if
    stored before (the notice's СМЭВ message id is the key)."""
    key = f"e_uslugi:{notice.received.message_id}"
    now = options.observed_now()
    with engine.connect() as conn:
        if outbox.has_key(conn, E_USLUGI_RECEIPT, options.name, key):
            return False
    if notice.notice is not None:
        runs.prepare(scopes.e_uslugi_notice(options.name, notice.notice.application_number))
    with engine.begin() as conn:
        if outbox.has_key(conn, E_USLUGI_RECEIPT, options.name, key):
            return False
        if notice.notice is None:
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
                    meta=_received_meta(now),
                ),
            )
            report.unreadable += 1
            return True
        record = e_uslugi_map.expected_enrolment(notice.notice, options.name)
        scope = scopes.e_uslugi_notice(options.name, notice.notice.application_number)
        ingest_in(conn, runs.for_scope(scope), scope, [record], ["expected_enrolment"])
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
                meta=_received_meta(now),
            ),
        )
        report.received += 1
    return True
