"""The one vocabulary of Sverka.

Every connector maps its platform's wire format into these models and out of
them; nothing past ``mapping/`` sees a platform's own field names.  The package
does no I/O so that the emulators, the store and the policies can all share it.
"""

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
