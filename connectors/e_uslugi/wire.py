"""Wire model of an «Е-услуги» enrolment notice and the school's receipt."""

from __future__ import annotations

import datetime as dt

from lxml import etree
from pydantic import BaseModel, ConfigDict

NS = "urn://sverka/e-uslugi/enrolment/1.0"
NOTICE = (NS, "EnrolmentNotification")


class WireEnrolmentNotice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    org_code: str
    application_number: str
    last_name: str
    first_name: str
    middle_name: str | None = None
    birth_date: dt.date | None = None
    gender: str | None = None
    snils: str | None = None
    grade: int | None = None
    group_name: str | None = None
    expected_date: dt.date
    notified_at: dt.datetime


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find("/".join(_q(p) for p in path.split("/")))
    return found.text.strip() if found is not None and found.text is not None else None


def parse_notice(element: etree._Element) -> WireEnrolmentNotice:
    birth = _text(element, "Student/BirthDate")
    grade = _text(element, "Grade")
    return WireEnrolmentNotice(
        org_code=_text(element, "OrgCode") or "",
        application_number=_text(element, "ApplicationNumber") or "",
        last_name=_text(element, "Student/LastName") or "",
        first_name=_text(element, "Student/FirstName") or "",
        middle_name=_text(element, "Student/MiddleName"),
        birth_date=dt.date.fromisoformat(birth) if birth else None,
        gender=_text(element, "Student/Gender"),
        snils=_text(element, "Student/Snils"),
        grade=int(grade) if grade else None,
        group_name=_text(element, "GroupName"),
        expected_date=dt.date.fromisoformat(_text(element, "ExpectedDate") or ""),
        notified_at=dt.datetime.fromisoformat(_text(element, "NotifiedAt") or ""),
    )


def receipt_xml(application_number: str, status: str, comment: str | None = None) -> etree._Element:
    root = etree.Element(_q("EnrolmentNotificationReceipt"), nsmap={"eu": NS})
    etree.SubElement(root, _q("ApplicationNumber")).text = application_number
    etree.SubElement(root, _q("Status")).text = status
    if comment:
        etree.SubElement(root, _q("Comment")).text = comment
    return root
