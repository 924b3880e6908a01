"""Wire models of the e-diary application (``FormData``) and its answer (``FormDataResponse``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from lxml import etree
from pydantic import BaseModel, ConfigDict

NS = "urn://sverka/epgu/edu-diary/1.0"
FORM_DATA = (NS, "FormData")


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WireDiaryRequest(_Wire):
    order_id: int
    oktmo: str
    services_type: str
    applicant_surname: str
    applicant_name: str
    applicant_middle_name: str | None = None
    applicant_birth_date: dt.date | None = None
    applicant_sex_code: str | None = None
    applicant_snils: str | None = None
    applicant_is_parent: bool = True
    document_code: str | None = None
    document_series: str | None = None
    document_number: str | None = None
    child_surname: str
    child_name: str
    child_middle_name: str | None = None
    child_birth_date: dt.date
    child_snils: str | None = None
    org_code: str
    class_name: str | None = None
    period_start: dt.date
    period_end: dt.date


class WireCancelRequest(_Wire):
    order_id: int
    oktmo: str
    reason: str | None = None


class WireStatus(_Wire):
    order_id: int
    org_code: str | None = None
    tech_code: int | None = None
    comment: str | None = None


class WireMark(_Wire):
    date: dt.date | None = None
    value: str
    work_kind: str | None = None
    weight: Decimal | None = None
    final: str | None = None


class WireSubject(_Wire):
    name: str
    marks: tuple[WireMark, ...] = ()
    average: Decimal | None = None


class WireAbsence(_Wire):
    date: dt.date
    subject: str | None = None
    lesson_number: int | None = None
    reason_code: str


class WireHomework(_Wire):
    date: dt.date
    subject: str
    text: str
    due_date: dt.date | None = None


class WireLesson(_Wire):
    date: dt.date
    number: int | None = None
    subject: str
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    topic: str | None = None
    room: str | None = None


class WireDiaryReport(_Wire):
    period_start: dt.date
    period_end: dt.date
    org_code: str
    org_name: str
    class_name: str | None = None
    subjects: tuple[WireSubject, ...] = ()
    absences: tuple[WireAbsence, ...] = ()
    homework: tuple[WireHomework, ...] = ()
    lessons: tuple[WireLesson, ...] = ()


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find("/".join(_q(p) for p in path.split("/")))
    return found.text.strip() if found is not None and found.text is not None else None


def _attr(element: etree._Element | None, path: str, name: str) -> str | None:
    if element is None:
        return None
    found = element.find("/".join(_q(p) for p in path.split("/")))
    return found.get(name) if found is not None else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def parse_form_data(element: etree._Element) -> WireDiaryRequest | WireCancelRequest:
    oktmo = element.get("oktmo") or ""
    cancel = element.find(_q("cancelRequest"))
    if cancel is not None:
        return WireCancelRequest(
            order_id=int(_text(cancel, "orderId") or 0), oktmo=oktmo, reason=_text(cancel, "reason")
        )
    r = element.find(_q("DiaryInfoRequest"))
    if r is None:
        raise ValueError("в заявлении нет DiaryInfoRequest")
    return WireDiaryRequest(
        order_id=int(_text(r, "orderId") or 0),
        oktmo=oktmo,
        services_type=_text(r, "ServicesType") or "",
        applicant_surname=_text(r, "PersonInfo/PersonSurname") or "",
        applicant_name=_text(r, "PersonInfo/PersonName") or "",
        applicant_middle_name=_text(r, "PersonInfo/PersonMiddleName"),
        applicant_birth_date=_date(_text(r, "PersonInfo/PersonBirthDate")),
        applicant_sex_code=_attr(r, "PersonInfo/PersonSex", "code"),
        applicant_snils=_text(r, "PersonInfo/PersonSNILS"),
        applicant_is_parent=(_text(r, "PersonInfo/Parents") or "true") in ("true", "1"),
        document_code=_attr(r, "PersonIdentityDocInfo/IdentityDocName", "code"),
        document_series=_text(r, "PersonIdentityDocInfo/IdentityDocSeries"),
        document_number=_text(r, "PersonIdentityDocInfo/IdentityDocNumber"),
        child_surname=_text(r, "ChildInfo/ChildSurname") or "",
        child_name=_text(r, "ChildInfo/ChildName") or "",
        child_middle_name=_text(r, "ChildInfo/ChildMiddleName"),
        child_birth_date=dt.date.fromisoformat(_text(r, "ChildInfo/ChildBirthDate") or ""),
        child_snils=_text(r, "ChildInfo/ChildSNILS"),
        org_code=_attr(r, "EduOrganization", "code") or "",
        class_name=_text(r, "Class"),
        period_start=dt.date.fromisoformat(_text(r, "PeriodStart") or ""),
        period_end=dt.date.fromisoformat(_text(r, "PeriodEnd") or ""),
    )


def _add(parent: etree._Element, name: str, value: Any) -> etree._Element | None:
    if value is None or value == "":
        return None
    child = etree.SubElement(parent, _q(name))
    if isinstance(value, dt.date | dt.time):
        child.text = value.isoformat()
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    else:
        child.text = str(value)
    return child


def form_data_response_xml(
    status: WireStatus, report: WireDiaryReport | None = None
) -> etree._Element:
    root = etree.Element(_q("FormDataResponse"), nsmap={"ed": NS})
    info = etree.SubElement(root, _q("changeOrderInfo"))
    order = etree.SubElement(info, _q("orderId"))
    _add(order, "pguId", status.order_id)
    code = etree.SubElement(info, _q("statusCode"))
    if status.tech_code is not None:
        _add(code, "techCode", status.tech_code)
    else:
        _add(code, "orgCode", status.org_code or "")
    _add(info, "comment", (status.comment or "")[:2048] or None)
    _add(info, "cancelAllowed", False)
    if report is not None:
        r = etree.SubElement(root, _q("DiaryReport"))
        _add(r, "PeriodStart", report.period_start)
        _add(r, "PeriodEnd", report.period_end)
        org = _add(r, "EduOrganization", report.org_name)
        assert org is not None
        org.set("code", report.org_code)
        _add(r, "Class", report.class_name)
        for subject in report.subjects:
            s = etree.SubElement(r, _q("Subject"))
            _add(s, "Name", subject.name)
            for mark in subject.marks:
                m = etree.SubElement(s, _q("Mark"))
                _add(m, "Date", mark.date)
                _add(m, "Value", mark.value)
                _add(m, "WorkKind", mark.work_kind)
                _add(m, "Weight", mark.weight)
                _add(m, "Final", mark.final)
            _add(s, "Average", subject.average)
        for absence in report.absences:
            a = etree.SubElement(r, _q("Absence"))
            _add(a, "Date", absence.date)
            _add(a, "Subject", absence.subject)
            _add(a, "LessonNumber", absence.lesson_number)
            _add(a, "ReasonCode", absence.reason_code)
        for homework in report.homework:
            h = etree.SubElement(r, _q("Homework"))
            _add(h, "Date", homework.date)
            _add(h, "Subject", homework.subject)
            _add(h, "Text", homework.text)
            _add(h, "DueDate", homework.due_date)
        for lesson in report.lessons:
            sl = etree.SubElement(r, _q("Lesson"))
            _add(sl, "Date", lesson.date)
            _add(sl, "Number", lesson.number)
            _add(sl, "Subject", lesson.subject)
            _add(sl, "StartTime", lesson.start_time)
            _add(sl, "EndTime", lesson.end_time)
            _add(sl, "Topic", lesson.topic)
            _add(sl, "Room", lesson.room)
    return root


def cancel_response_xml(order_id: int, result: str, comment: str | None = None) -> etree._Element:
    """The answer to a ``cancelRequest``: CANCELLED, IN_PROGRESS or REJECTED."""
    root = etree.Element(_q("FormDataResponse"), nsmap={"ed": NS})
    cancel = etree.SubElement(root, _q("cancelResponse"))
    _add(cancel, "orderId", order_id)
    _add(cancel, "result", result)
    _add(cancel, "comment", (comment or "")[:2048] or None)
    return root


def parse_report(element: etree._Element) -> WireDiaryReport:
    """The reverse of :func:`form_data_response_xml` for a ``DiaryReport`` (tests, audits)."""
    subjects = tuple(
        WireSubject(
            name=_text(s, "Name") or "",
            marks=tuple(
                WireMark(
                    date=_date(_text(m, "Date")),
                    value=_text(m, "Value") or "",
                    work_kind=_text(m, "WorkKind"),
                    weight=Decimal(w) if (w := _text(m, "Weight")) else None,
                    final=_text(m, "Final"),
                )
                for m in s.findall(_q("Mark"))
            ),
            average=Decimal(a) if (a := _text(s, "Average")) else None,
        )
        for s in element.findall(_q("Subject"))
    )
    return WireDiaryReport(
        period_start=dt.date.fromisoformat(_text(element, "PeriodStart") or ""),
        period_end=dt.date.fromisoformat(_text(element, "PeriodEnd") or ""),
        org_code=_attr(element, "EduOrganization", "code") or "",
        org_name=_text(element, "EduOrganization") or "",
        class_name=_text(element, "Class"),
        subjects=subjects,
        absences=tuple(
            WireAbsence(
                date=dt.date.fromisoformat(_text(a, "Date") or ""),
                subject=_text(a, "Subject"),
                lesson_number=int(n) if (n := _text(a, "LessonNumber")) else None,
                reason_code=_text(a, "ReasonCode") or "",
            )
            for a in element.findall(_q("Absence"))
        ),
        homework=tuple(
            WireHomework(
                date=dt.date.fromisoformat(_text(h, "Date") or ""),
                subject=_text(h, "Subject") or "",
                text=_text(h, "Text") or "",
                due_date=_date(_text(h, "DueDate")),
            )
            for h in element.findall(_q("Homework"))
        ),
        lessons=tuple(
            WireLesson(
                date=dt.date.fromisoformat(_text(sl, "Date") or ""),
                number=int(n) if (n := _text(sl, "Number")) else None,
                subject=_text(sl, "Subject") or "",
                start_time=dt.time.fromisoformat(t) if (t := _text(sl, "StartTime")) else None,
                end_time=dt.time.fromisoformat(t) if (t := _text(sl, "EndTime")) else None,
                topic=_text(sl, "Topic"),
                room=_text(sl, "Room"),
            )
            for sl in element.findall(_q("Lesson"))
        ),
    )
