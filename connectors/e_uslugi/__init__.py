"""Enrolment notices from «Е-услуги. Образование» over СМЭВ 3 (Sverka's own schema)."""

from connectors.e_uslugi.client import EUslugiConnector, Notice
from connectors.e_uslugi.wire import NS, WireEnrolmentNotice, parse_notice, receipt_xml

__all__ = ["NS", "EUslugiConnector", "Notice", "WireEnrolmentNotice", "parse_notice", "receipt_xml"]
