"""The «Е-услуги. Образование» bot: notifies the school of students admitted through it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from emulators.scenario.world import World
from emulators.smev3.broker import Broker, Incoming
from emulators.smev3.ns import E_USLUGI as NS
from emulators.smev3.parties.xml import node, sub, text
from emulators.smev3.registry import EUSLUGI

GENDERS = {"male": "1", "female": "2"}


class EUslugiBot:
    mnemonic = EUSLUGI

    def __init__(self, world: World, org_code: str) -> None:
        self.world = world
        self.org_code = org_code
        self.sent: dict[str, str] = {}
        self.receipts: list[dict[str, Any]] = []

    def send_due(self, broker: Broker, as_of: dt.datetime) -> int:
        state = self.world.state_as_of(as_of, platform="e_uslugi")
        count = 0
        for record_id, row in sorted(state.kind("expected_enrolment").items()):
            if record_id in self.sent.values():
                continue
            _, token = broker.party_send_request(self.mnemonic, self.notice(record_id, row, as_of))
            self.sent[token] = record_id
            count += 1
        return count

    def notice(self, record_id: str, row: dict[str, Any], as_of: dt.datetime) -> etree._Element:
        root = etree.Element(f"{{{NS}}}EnrolmentNotification", nsmap={"eu": NS})
        sub(root, NS, "OrgCode", self.org_code)
        sub(root, NS, "ApplicationNumber", record_id)
        student = node(root, NS, "Student")
        sub(student, NS, "LastName", row["last_name"])
        sub(student, NS, "FirstName", row["first_name"])
        sub(student, NS, "MiddleName", row.get("middle_name"))
        sub(student, NS, "BirthDate", row.get("birth_date"))
        sub(student, NS, "Gender", GENDERS.get(str(row.get("sex"))))
        sub(student, NS, "Snils", row.get("snils"))
        sub(root, NS, "Grade", row.get("grade"))
        sub(root, NS, "GroupName", row.get("group_name"))
        sub(root, NS, "ExpectedDate", row["expected_on"])
        notified = row.get("notified_at") or row.get("created_at") or as_of
        sub(root, NS, "NotifiedAt", notified if isinstance(notified, str) else notified.isoformat())
        return root

    def on_request(self, broker: Broker, message: Incoming) -> None:
        """«Е-услуги» answers nothing here."""

    def on_response(self, broker: Broker, message: Incoming) -> None:
        content = message.content
        self.receipts.append(
            {
                "application": text(content, NS, "ApplicationNumber"),
                "status": text(content, NS, "Status"),
                "to_matches": message.to in self.sent,
            }
        )
