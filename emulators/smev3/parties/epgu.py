"""The ЕПГУ bot: sends parents' e-diary applications and records every answer.

Applications come from the scenario's ``epgu_request`` table (each once, when
the clock passes its ``created_at``).  Every answer is kept as received, with
a check that it came back along the ``ReplyTo`` of its own application
(``To`` = ``ReplyTo``) and names the same order.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

from lxml import etree

from emulators.scenario.world import World
from emulators.smev3.broker import Broker, Incoming
from emulators.smev3.ns import EPGU_DIARY as NS
from emulators.smev3.parties.xml import node, sub, text
from emulators.smev3.registry import EPGU

SEX = {"male": ("1", "Мужской"), "female": ("2", "Женский")}


def order_number(order_id: str) -> int:
    """ЕПГУ order ids are numbers; a scenario's textual id gets a stable one."""
    return int(order_id) if order_id.isdigit() else zlib.crc32(order_id.encode()) + 10**9


class EpguBot:
    mnemonic = EPGU

    def __init__(self, world: World, org_code: str, oktmo: str = "01701000") -> None:
        self.world = world
        self.org_code = org_code
        self.oktmo = oktmo
        self.sent: dict[str, str] = {}
        """ReplyTo token → scenario order id."""
        self.sent_orders: set[str] = set()
        self.answers: list[dict[str, Any]] = []

    def send_due(self, broker: Broker, as_of: dt.datetime) -> int:
        state = self.world.state_as_of(as_of, platform="epgu")
        count = 0
        for record_id, row in sorted(state.kind("epgu_request").items()):
            if record_id in self.sent_orders:
                continue
            _, token = broker.party_send_request(self.mnemonic, self.form(row))
            self.sent[token] = str(row["order_id"])
            self.sent_orders.add(record_id)
            count += 1
        return count

    def form(self, row: dict[str, Any]) -> etree._Element:
        root = etree.Element(f"{{{NS}}}FormData", nsmap={"ed": NS})
        root.set("oktmo", self.oktmo)
        request = node(root, NS, "DiaryInfoRequest")
        sub(request, NS, "orderId", order_number(str(row["order_id"])))
        sub(request, NS, "ServicesType", "EDU_DIARY")
        person = node(request, NS, "PersonInfo")
        sub(person, NS, "PersonSurname", row["applicant_last_name"])
        sub(person, NS, "PersonName", row["applicant_first_name"])
        sub(person, NS, "PersonMiddleName", row.get("applicant_middle_name"))
        sub(person, NS, "PersonBirthDate", row.get("applicant_birth_date"))
        sex = SEX.get(str(row.get("applicant_sex")))
        if sex is not None:
            element = sub(person, NS, "PersonSex", sex[1])
            assert element is not None
            element.set("code", sex[0])
        sub(person, NS, "PersonSNILS", row.get("applicant_snils"))
        sub(person, NS, "Parents", "true")
        if row.get("applicant_document_number"):
            doc = node(request, NS, "PersonIdentityDocInfo")
            name = sub(doc, NS, "IdentityDocName", "Паспорт гражданина Российской Федерации")
            assert name is not None
            name.set("code", "21")
            sub(doc, NS, "IdentityDocSeries", row.get("applicant_document_series"))
            sub(doc, NS, "IdentityDocNumber", row["applicant_document_number"])
        child = node(request, NS, "ChildInfo")
        sub(child, NS, "ChildSurname", row["child_last_name"])
        sub(child, NS, "ChildName", row["child_first_name"])
        sub(child, NS, "ChildMiddleName", row.get("child_middle_name"))
        sub(child, NS, "ChildBirthDate", row.get("child_birth_date") or "2000-01-01")
        sub(child, NS, "ChildSNILS", row.get("child_snils"))
        org = sub(request, NS, "EduOrganization", "Образовательная организация")
        assert org is not None
        org.set("code", self.org_code)
        sub(request, NS, "PeriodStart", row["period_from"])
        sub(request, NS, "PeriodEnd", row["period_to"])
        return root

    def on_request(self, broker: Broker, message: Incoming) -> None:
        """ЕПГУ answers nothing here."""

    def on_response(self, broker: Broker, message: Incoming) -> None:
        content = message.content
        expected_order = self.sent.get(message.to or "")
        record: dict[str, Any] = {
            "message_id": message.message_id,
            "to": message.to,
            "order_id": expected_order,
            "to_matches": False,
            "rejected": message.rejected,
            "status_code": None,
            "code_kind": None,
            "comment": None,
            "report": None,
        }
        if content is not None:
            info = content.find(f"{{{NS}}}changeOrderInfo")
            pgu_id = text(info, NS, "orderId/pguId")
            record["to_matches"] = expected_order is not None and pgu_id == str(
                order_number(expected_order)
            )
            for kind in ("orgCode", "techCode"):
                value = text(info, NS, f"statusCode/{kind}")
                if value is not None:
                    record["status_code"] = value
                    record["code_kind"] = kind
            record["comment"] = text(info, NS, "comment")
            report = content.find(f"{{{NS}}}DiaryReport")
            if report is not None:
                record["report"] = etree.tostring(report, encoding="unicode")
        else:
            record["to_matches"] = expected_order is not None
        self.answers.append(record)
