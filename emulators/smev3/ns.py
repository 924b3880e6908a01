"""Namespaces of the exchange, per version, and the schema folder both sides load."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

SCHEMAS = Path(str(files("schemas") / "smev3"))
VERSIONS = ("1.2", "1.3")

CONTINGENT = "urn://sverka/contingent/1.0"
EPGU_DIARY = "urn://sverka/epgu/edu-diary/1.0"
E_USLUGI = "urn://sverka/e-uslugi/enrolment/1.0"


@dataclass(frozen=True)
class Namespaces:
    version: str

    @property
    def base(self) -> str:
        return "urn://x-artefacts-smev-gov-ru/services/message-exchange"

    @property
    def types(self) -> str:
        return f"{self.base}/types/{self.version}"

    @property
    def basic(self) -> str:
        return f"{self.base}/types/basic/{self.version}"

    @property
    def faults(self) -> str:
        return f"{self.base}/types/faults/{self.version}"

    def types_xsd(self) -> Path:
        return SCHEMAS / self.version / f"smev-message-exchange-types-{self.version}.xsd"

    def faults_xsd(self) -> Path:
        return SCHEMAS / self.version / f"smev-message-exchange-faults-{self.version}.xsd"


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"
