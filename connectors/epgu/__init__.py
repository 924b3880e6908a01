"""The ЕПГУ e-diary service over СМЭВ 3: Sverka's own schema ``urn://sverka/epgu/edu-diary/1.0``."""

from connectors.epgu.client import Application, EpguConnector
from connectors.epgu.wire import (
    NS,
    WireAbsence,
    WireCancelRequest,
    WireDiaryReport,
    WireDiaryRequest,
    WireHomework,
    WireLesson,
    WireMark,
    WireStatus,
    WireSubject,
    cancel_response_xml,
    form_data_response_xml,
    parse_form_data,
    parse_report,
)

__all__ = [
    "NS",
    "Application",
    "EpguConnector",
    "WireAbsence",
    "WireCancelRequest",
    "WireDiaryReport",
    "WireDiaryRequest",
    "WireHomework",
    "WireLesson",
    "WireMark",
    "WireStatus",
    "WireSubject",
    "cancel_response_xml",
    "form_data_response_xml",
    "parse_form_data",
    "parse_report",
]
