"""The one vocabulary of Sverka.

Every connector maps its platform's wire format into these models and out of
them; nothing past ``mapping/`` sees a platform's own field names.  The package
does no I/O so that the emulators, the store and the policies can all share it.

The models load on first use (PEP 562), so wording that lives in this package
(``canonical.wording``) does not pull pydantic into every command's start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from canonical.base import Platform, Record, SourceRef
    from canonical.contingent import Enrolment, EnrolmentStatus, MovementKind, MovementOrder
    from canonical.institution import (
        Holiday,
        Institution,
        InstitutionKind,
        Period,
        PeriodKind,
        SchoolYear,
    )
    from canonical.journal import (
        Absence,
        AbsenceCode,
        FinalKind,
        Homework,
        Lesson,
        Mark,
        MarkScale,
        Plan,
        PlanItem,
        WorkKind,
    )
    from canonical.people import ParentLink, Person, Role, Sex
    from canonical.requests import (
        Approval,
        DataReview,
        DiaryOptOut,
        EpguRequest,
        EpguRequestStatus,
        ExpectedEnrolment,
        InvitationCode,
        JournalOutage,
        PaperReport,
        RegistryFeedback,
        RegistryResult,
        ResultAnnouncement,
    )
    from canonical.structure import (
        Group,
        GroupKind,
        Subgroup,
        SubgroupMember,
        Subject,
        TeachingAssignment,
    )

_MODULE_OF = {
    "Absence": "canonical.journal",
    "AbsenceCode": "canonical.journal",
    "Approval": "canonical.requests",
    "DataReview": "canonical.requests",
    "DiaryOptOut": "canonical.requests",
    "Enrolment": "canonical.contingent",
    "EnrolmentStatus": "canonical.contingent",
    "EpguRequest": "canonical.requests",
    "EpguRequestStatus": "canonical.requests",
    "ExpectedEnrolment": "canonical.requests",
    "FinalKind": "canonical.journal",
    "Group": "canonical.structure",
    "GroupKind": "canonical.structure",
    "Holiday": "canonical.institution",
    "Homework": "canonical.journal",
    "Institution": "canonical.institution",
    "InstitutionKind": "canonical.institution",
    "InvitationCode": "canonical.requests",
    "JournalOutage": "canonical.requests",
    "Lesson": "canonical.journal",
    "Mark": "canonical.journal",
    "MarkScale": "canonical.journal",
    "MovementKind": "canonical.contingent",
    "MovementOrder": "canonical.contingent",
    "PaperReport": "canonical.requests",
    "ParentLink": "canonical.people",
    "Period": "canonical.institution",
    "PeriodKind": "canonical.institution",
    "Person": "canonical.people",
    "Plan": "canonical.journal",
    "PlanItem": "canonical.journal",
    "Platform": "canonical.base",
    "Record": "canonical.base",
    "RegistryFeedback": "canonical.requests",
    "RegistryResult": "canonical.requests",
    "ResultAnnouncement": "canonical.requests",
    "Role": "canonical.people",
    "SchoolYear": "canonical.institution",
    "Sex": "canonical.people",
    "SourceRef": "canonical.base",
    "Subgroup": "canonical.structure",
    "SubgroupMember": "canonical.structure",
    "Subject": "canonical.structure",
    "TeachingAssignment": "canonical.structure",
    "WorkKind": "canonical.journal",
}

__all__ = [
    "Absence",
    "AbsenceCode",
    "Approval",
    "DataReview",
    "DiaryOptOut",
    "Enrolment",
    "EnrolmentStatus",
    "EpguRequest",
    "EpguRequestStatus",
    "ExpectedEnrolment",
    "FinalKind",
    "Group",
    "GroupKind",
    "Holiday",
    "Homework",
    "Institution",
    "InstitutionKind",
    "InvitationCode",
    "JournalOutage",
    "Lesson",
    "Mark",
    "MarkScale",
    "MovementKind",
    "MovementOrder",
    "PaperReport",
    "ParentLink",
    "Period",
    "PeriodKind",
    "Person",
    "Plan",
    "PlanItem",
    "Platform",
    "Record",
    "RegistryFeedback",
    "RegistryResult",
    "ResultAnnouncement",
    "Role",
    "SchoolYear",
    "Sex",
    "SourceRef",
    "Subgroup",
    "SubgroupMember",
    "Subject",
    "TeachingAssignment",
    "WorkKind",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'canonical' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
