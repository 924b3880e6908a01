"""Consents, approvals and exchanges with the state systems.

These are the records that are not the journal itself: a parent's e-diary
opt-out and the paper reports given instead, invitation codes, approvals that
turn a violation into an approved exception, ЕПГУ applications, «Е-услуги»
enrolment notices and the registry's per-record answers.  The institution's
own facts (an outage of the journal, a result announcement, a data review)
are imported from its files as ``Platform.LOCAL`` records.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from canonical.base import Record
from canonical.people import Sex


class DiaryOptOut(Record):
    """A parent's written refusal of the e-diary (``diary.opt_out.paper_report``)."""

    kind: ClassVar[str] = "diary_opt_out"

    parent_id: str
    child_id: str
    declined_on: dt.date
    withdrawn_on: dt.date | None = None


class PaperReport(Record):
    """A paper report of marks handed to a parent who declined the e-diary."""

    kind: ClassVar[str] = "paper_report"

    parent_id: str
    child_id: str
    given_on: dt.date


class InvitationCode(Record):
    """An e-diary invitation code handed out, and when its holder registered."""

    kind: ClassVar[str] = "invitation_code"

    person_id: str
    issued_on: dt.date
    registered_on: dt.date | None = None


class Approval(Record):
    """A written approval (deputy or director) that excuses a correction or an unlock."""

    kind: ClassVar[str] = "approval"

    rule_id: str
    entity_kind: str
    entity_id: str
    document_number: str
    document_date: dt.date
    approved_by: str
    """Who signed: a name or a post; kept in the store, never logged."""
    note: str | None = None


class JournalOutage(Record):
    """The electronic journal could not be used from ``starts_at`` to ``ends_at``."""

    kind: ClassVar[str] = "journal_outage"

    starts_at: AwareDatetime
    ends_at: AwareDatetime


class ResultAnnouncement(Record):
    """Results of an external written work were announced (``marks.external_work.deadline``)."""

    kind: ClassVar[str] = "result_announcement"

    group_id: str
    subject_id: str
    work_name: str
    work_date: dt.date
    announced_on: dt.date


class DataReview(Record):
    """A review of students' personal data (``contingent.data.review``)."""

    kind: ClassVar[str] = "data_review"

    group_id: str | None = None
    reviewed_on: dt.date
    reviewer_id: str | None = None


class EpguRequestStatus(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    REFUSED = "refused"
    FAILED = "failed"


class EpguRequest(Record):
    """A parent's application on ЕПГУ for the e-diary service."""

    kind: ClassVar[str] = "epgu_request"

    order_id: str
    received_at: AwareDatetime
    applicant_last_name: str
    applicant_first_name: str
    applicant_middle_name: str = ""
    applicant_birth_date: dt.date | None = None
    applicant_snils: str | None = None
    applicant_sex: Sex | None = None
    applicant_document_series: str | None = None
    applicant_document_number: str | None = None
    child_last_name: str
    child_first_name: str
    child_middle_name: str = ""
    child_birth_date: dt.date | None = None
    child_snils: str | None = None
    period_from: dt.date
    period_to: dt.date
    status: EpguRequestStatus = EpguRequestStatus.RECEIVED
    status_reason: str | None = None
    deadline: AwareDatetime | None = None


class ExpectedEnrolment(Record):
    """A student admitted through «Е-услуги. Образование», expected in the journal."""

    kind: ClassVar[str] = "expected_enrolment"

    last_name: str
    first_name: str
    middle_name: str = ""
    birth_date: dt.date | None = None
    snils: str | None = None
    sex: Sex | None = None
    group_name: str | None = None
    grade: int | None = None
    expected_on: dt.date
    notified_at: AwareDatetime | None = None


class RegistryResult(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"


class RegistryFeedback(Record):
    """The contingent registry's answer to one pushed record."""

    kind: ClassVar[str] = "registry_feedback"

    message_id: str
    student_id: str
    result: RegistryResult
    error_code: str | None = None
    field: str | None = None
    message: str | None = None
    received_at: AwareDatetime | None = None
