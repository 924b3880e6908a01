"""«Е-услуги» enrolment notices → canonical ``ExpectedEnrolment`` (pure)."""

from __future__ import annotations

from canonical.base import Platform, SourceRef
from canonical.normalize import normalize_name_part
from canonical.people import Sex
from canonical.requests import ExpectedEnrolment
from connectors.e_uslugi.wire import WireEnrolmentNotice

SEX_BY_CODE = {"1": Sex.MALE, "2": Sex.FEMALE}


def expected_enrolment(notice: WireEnrolmentNotice, deployment: str) -> ExpectedEnrolment:
    return ExpectedEnrolment(
        source=SourceRef(
            platform=Platform.E_USLUGI, deployment=deployment, external_id=notice.application_number
        ),
        last_name=normalize_name_part(notice.last_name),
        first_name=normalize_name_part(notice.first_name),
        middle_name=normalize_name_part(notice.middle_name or ""),
        birth_date=notice.birth_date,
        snils=notice.snils,
        sex=SEX_BY_CODE.get(notice.gender or ""),
        group_name=notice.group_name,
        grade=notice.grade,
        expected_on=notice.expected_date,
        notified_at=notice.notified_at,
    )
