"""Wire models of the registry's documents and their XML form.

Field names follow the XML elements (``schemas/smev3/business/contingent-1.0.xsd``);
mapping to and from canonical records is ``mapping/contingent.py``'s job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree
from pydantic import BaseModel, ConfigDict

NS = "urn://sverka/contingent/1.0"
MOVEMENT_RESPONSE = (NS, "MovementEventResponse")
VIEW_RESPONSE = (NS, "ContingentViewResponse")


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WirePerson(_Wire):
    local_id: str | None = None
    last_name: str
    first_name: str
    middle_name: str | None = None
    birth_date: dt.date | None = None
    gender: str | None = None
    snils: str | None = None
    document_type: str | None = None
    document_series: str | None = None
    document_number: str | None = None
    document_issue_date: dt.date | None = None


class WireMovementEvent(_Wire):
    org_code: str
    record_id: str
    person: WirePerson
    event_kind: str
    order_number: str
    order_date: dt.date
    effective_date: dt.date
    group_from: str | None = None
    group_to: str | None = None
    grade: int | None = None
    course: int | None = None
    specialty: str | None = None
    reason: str | None = None


class WireRecordError(_Wire):
    code: str
    field: str | None = None
    message: str


class WireRecordResult(_Wire):
    record_id: str
    status: str
    regional_id: str | None = None
    errors: tuple[WireRecordError, ...] = ()


class WireEpisode(_Wire):
    episode_id: str
    status: str
    group_name: str
    start_date: dt.date
    end_date: dt.date | None = None
    order_number: str | None = None
    order_date: dt.date | None = None


class WireStudent(_Wire):
    regional_id: str
    person: WirePerson
    episodes: tuple[WireEpisode, ...] = ()


class WireContingentView(_Wire):
    org_code: str
    as_of: dt.datetime
    students: tuple[WireStudent, ...] = ()


# -- XML -----------------------------------------------------------------------------------


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _add(parent: etree._Element, name: str, value: Any) -> None:
    if value is None or value == "":
        return
    child = etree.SubElement(parent, _q(name))
    child.text = value.isoformat() if isinstance(value, dt.date) else str(value)


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find("/".join(_q(p) for p in path.split("/")))
    return found.text.strip() if found is not None and found.text is not None else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def person_xml(parent: etree._Element, person: WirePerson) -> None:
    element = etree.SubElement(parent, _q("Person"))
    _add(element, "LocalID", person.local_id)
    _add(element, "LastName", person.last_name)
    _add(element, "FirstName", person.first_name)
    _add(element, "MiddleName", person.middle_name)
    _add(element, "BirthDate", person.birth_date)
    _add(element, "Gender", person.gender)
    _add(element, "Snils", person.snils)
    if person.document_number:
        doc = etree.SubElement(element, _q("IdentityDocument"))
        _add(doc, "DocumentType", person.document_type or "91")
        _add(doc, "Series", person.document_series)
        _add(doc, "Number", person.document_number)
        _add(doc, "IssueDate", person.document_issue_date)


def event_xml(event: WireMovementEvent) -> etree._Element:
    root = etree.Element(_q("MovementEventRequest"), nsmap={"cnt": NS})
    _add(root, "OrgCode", event.org_code)
    _add(root, "RecordId", event.record_id)
    person_xml(root, event.person)
    _add(root, "EventKind", event.event_kind)
    _add(root, "OrderNumber", event.order_number)
    _add(root, "OrderDate", event.order_date)
    _add(root, "EffectiveDate", event.effective_date)
    _add(root, "GroupFrom", event.group_from)
    _add(root, "GroupTo", event.group_to)
    _add(root, "Grade", event.grade)
    _add(root, "Course", event.course)
    _add(root, "Specialty", event.specialty)
    _add(root, "Reason", event.reason)
    return root


def view_request_xml(org_code: str) -> etree._Element:
    root = etree.Element(_q("ContingentViewRequest"), nsmap={"cnt": NS})
    _add(root, "OrgCode", org_code)
    return root


def parse_person(element: etree._Element | None) -> WirePerson:
    return WirePerson(
        local_id=_text(element, "LocalID"),
        last_name=_text(element, "LastName") or "",
        first_name=_text(element, "FirstName") or "",
        middle_name=_text(element, "MiddleName"),
        birth_date=_date(_text(element, "BirthDate")),
        gender=_text(element, "Gender"),
        snils=_text(element, "Snils"),
        document_type=_text(element, "IdentityDocument/DocumentType"),
        document_series=_text(element, "IdentityDocument/Series"),
        document_number=_text(element, "IdentityDocument/Number"),
        document_issue_date=_date(_text(element, "IdentityDocument/IssueDate")),
    )


def parse_result(element: etree._Element) -> WireRecordResult:
    return WireRecordResult(
        record_id=_text(element, "RecordId") or "",
        status=_text(element, "Status") or "",
        regional_id=_text(element, "RegionalID"),
        errors=tuple(
            WireRecordError(
                code=_text(e, "Code") or "",
                field=_text(e, "Field"),
                message=_text(e, "Message") or "",
            )
            for e in element.findall(_q("Error"))
        ),
    )


def parse_view(element: etree._Element) -> WireContingentView:
    students = []
    for s in element.findall(_q("Student")):
        episodes = tuple(
            WireEpisode(
                episode_id=_text(e, "EpisodeId") or "",
                status=_text(e, "Status") or "",
                group_name=_text(e, "GroupName") or "",
                start_date=dt.date.fromisoformat(_text(e, "StartDate") or "1900-01-01"),
                end_date=_date(_text(e, "EndDate")),
                order_number=_text(e, "OrderNumber"),
                order_date=_date(_text(e, "OrderDate")),
            )
            for e in s.findall(_q("Episode"))
        )
        students.append(
            WireStudent(
                regional_id=_text(s, "RegionalID") or "",
                person=parse_person(s.find(_q("Person"))),
                episodes=episodes,
            )
        )
    return WireContingentView(
        org_code=_text(element, "OrgCode") or "",
        as_of=dt.datetime.fromisoformat(_text(element, "AsOf") or "1900-01-01T00:00:00+00:00"),
        students=tuple(students),
    )
