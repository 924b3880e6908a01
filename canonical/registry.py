"""Every canonical record type by its ``kind``: the store builds one table per entry."""

from __future__ import annotations

from canonical.base import Record
from canonical.contingent import Enrolment, MovementOrder
from canonical.institution import Holiday, Institution, Period, SchoolYear
from canonical.journal import Absence, Homework, Lesson, Mark, Plan, PlanItem, WorkKind
from canonical.people import ParentLink, Person
from canonical.requests import (
    Approval,
    DataReview,
    DiaryOptOut,
    EpguRequest,
    ExpectedEnrolment,
    InvitationCode,
    JournalOutage,
    PaperReport,
    RegistryFeedback,
    ResultAnnouncement,
)
from canonical.structure import Group, Subgroup, SubgroupMember, Subject, TeachingAssignment

RECORD_TYPES: dict[str, type[Record]] = {
    cls.kind: cls
    for cls in (
        Institution,
        SchoolYear,
        Period,
        Holiday,
        Person,
        ParentLink,
        Group,
        Subgroup,
        SubgroupMember,
        Subject,
        TeachingAssignment,
        Enrolment,
        MovementOrder,
        WorkKind,
        Plan,
        PlanItem,
        Lesson,
        Homework,
        Mark,
        Absence,
        DiaryOptOut,
        PaperReport,
        InvitationCode,
        Approval,
        JournalOutage,
        ResultAnnouncement,
        DataReview,
        EpguRequest,
        ExpectedEnrolment,
        RegistryFeedback,
    )
}


def record_type(kind: str) -> type[Record]:
    try:
        return RECORD_TYPES[kind]
    except KeyError:
        raise KeyError(f"unknown record kind: {kind!r}") from None
