"""The contingent registry bot: its own view of the institution, and its checks.

It starts from the scenario's ``contingent`` view (what the registry holds,
which may lag or differ from the journal) and applies the movement events the
school pushes, answering each with a per-record result.  As the scenario's clock
moves on, the view follows the scenario's ``contingent`` view at that moment
(what reached the registry through the institution's usual channel; a planted
lag never does) with every pushed event applied again on top, in order.  The checks are the
ones operators apply when they reject exports (docs §2.4): required fields,
СНИЛС checksum, dictionary codes, duplicates by СНИЛС and by ФИО + birth date
+ document, episode state conflicts and date order.

``receipts`` counts every delivery of every ``RecordId``: the outbox tests
assert that each event reached the registry exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from canonical.normalize import SnilsError, name_key, validate_snils
from emulators.scenario.world import World
from emulators.smev3.broker import Broker, Incoming
from emulators.smev3.ns import CONTINGENT as NS
from emulators.smev3.parties.xml import as_date, node, sub, text
from emulators.smev3.registry import REGISTRY

DOCUMENT_TYPES = frozenset({"03", "10", "12", "15", "19", "21", "22", "23", "24", "62", "91"})
"""ФНС codes of identity documents (docs §2.2)."""
GENDERS = {"male": "1", "female": "2"}
ACTIVE = ("STUDYING", "ACADEMIC_LEAVE")


@dataclass
class Episode:
    episode_id: str
    status: str
    group_name: str
    start: dt.date
    end: dt.date | None = None
    order_number: str | None = None
    order_date: dt.date | None = None


@dataclass
class RegPerson:
    regional_id: str
    local_id: str | None
    last: str
    first: str
    middle: str
    birth: dt.date | None
    gender: str | None
    snils: str | None
    doc_type: str | None = None
    doc_series: str | None = None
    doc_number: str | None = None
    doc_issued: dt.date | None = None
    episodes: list[Episode] = field(default_factory=list)

    def key(self) -> tuple[str, dt.date | None, str]:
        return (name_key(self.last, self.first, self.middle), self.birth, self.doc_number or "")

    def active(self) -> Episode | None:
        return next((e for e in reversed(self.episodes) if e.status in ACTIVE), None)


@dataclass
class Verdict:
    status: str
    errors: list[tuple[str, str | None, str]] = field(default_factory=list)
    regional_id: str | None = None


class RegistryBot:
    mnemonic = REGISTRY

    def __init__(self, world: World, as_of: dt.datetime, org_code: str) -> None:
        self.org_code = org_code
        self.people: list[RegPerson] = []
        self.receipts: Counter[str] = Counter()
        self.results: dict[str, Verdict] = {}
        self.applied: list[dict[str, Any]] = []
        self.tests_seen = 0
        self._next_id = 1
        self.world = world
        self.loaded_at = as_of
        self.scenario_clock: Callable[[], dt.datetime] | None = None
        """The scenario's moment (the emulator's ``as_of``); ``None``: the view never moves."""
        self._pushed: list[etree._Element] = []
        self._load(world, as_of)

    def advance(self, now: dt.datetime) -> None:
        """The registry as of ``now``: the scenario's view then, plus what was pushed.

        The scenario's registry receives every order that is not a planted lag through
        the institution's usual channel, on the order's date; Sverka's pushes come on
        top (a repeat of what the registry already holds is accepted and changes
        nothing).  The log of applied pushes is not written twice.
        """
        if now <= self.loaded_at:
            return
        self.loaded_at = now
        applied = list(self.applied)
        self.people = []
        self._next_id = 1
        self._load(self.world, now)
        for event in self._pushed:
            self.check(event, apply=True)
        self.applied = applied

    # -- the registry's own view --------------------------------------------------------------

    def _load(self, world: World, as_of: dt.datetime) -> None:
        state = world.state_as_of(as_of, platform="contingent")
        groups = {gid: str(g.get("name", gid)) for gid, g in state.kind("group").items()}
        by_student: dict[str, list[dict[str, Any]]] = {}
        for enrolment in state.kind("enrolment").values():
            by_student.setdefault(str(enrolment["student_id"]), []).append(enrolment)
        for pid, row in sorted(state.kind("person").items()):
            if "student" not in (row.get("roles") or []):
                continue
            person = RegPerson(
                regional_id=f"R-{pid}",
                local_id=pid,
                last=str(row.get("last_name", "")),
                first=str(row.get("first_name", "")),
                middle=str(row.get("middle_name") or ""),
                birth=as_date(row.get("birth_date")),
                gender=GENDERS.get(str(row.get("sex"))),
                snils=row.get("snils"),
                doc_type=row.get("document_type"),
                doc_series=row.get("document_series"),
                doc_number=row.get("document_number"),
                doc_issued=as_date(row.get("document_issued_on")),
            )
            for enrolment in sorted(by_student.get(pid, []), key=lambda e: str(e["starts_on"])):
                start = as_date(enrolment["starts_on"])
                assert start is not None
                person.episodes.append(
                    Episode(
                        episode_id=f"E-{enrolment['id']}",
                        status=str(enrolment.get("status", "studying")).upper(),
                        group_name=groups.get(
                            str(enrolment["group_id"]), str(enrolment["group_id"])
                        ),
                        start=start,
                        end=as_date(enrolment.get("ends_on")),
                        order_number=enrolment.get("order_number"),
                        order_date=as_date(enrolment.get("order_date")),
                    )
                )
            self.people.append(person)

    def find_by_snils(self, snils: str | None) -> RegPerson | None:
        if not snils:
            return None
        return next((p for p in self.people if p.snils == snils), None)

    def find_by_key(self, key: tuple[str, dt.date | None, str]) -> RegPerson | None:
        return next((p for p in self.people if p.key() == key), None)

    # -- СМЭВ side ---------------------------------------------------------------------------

    def on_request(self, broker: Broker, message: Incoming) -> None:
        content = message.content
        assert content is not None and message.reply_to is not None
        if self.scenario_clock is not None:
            self.advance(self.scenario_clock())
        local = etree.QName(content).localname
        if local == "ContingentViewRequest":
            if text(content, NS, "OrgCode") != self.org_code:
                broker.party_respond(
                    self.mnemonic,
                    message.reply_to,
                    rejection=(
                        "NO_DATA",
                        "Организация с таким кодом не найдена в реестре контингента",
                    ),
                )
                return
            broker.party_respond(self.mnemonic, message.reply_to, self.view(broker.now()))
            return
        record_id = text(content, NS, "RecordId") or ""
        if message.test:
            self.tests_seen += 1
            verdict = self.check(content, apply=False)
        else:
            self.receipts[record_id] += 1
            previous = self.results.get(record_id)
            verdict = previous if previous is not None else self.check(content, apply=True)
            if previous is None and verdict.status == "ACCEPTED":
                self._pushed.append(content)
            self.results[record_id] = verdict
        broker.party_respond(self.mnemonic, message.reply_to, self._answer(record_id, verdict))

    def on_response(self, broker: Broker, message: Incoming) -> None:
        """The registry sends no requests of its own."""

    # -- the checks ----------------------------------------------------------------------------

    def check(self, event: etree._Element, *, apply: bool) -> Verdict:
        errors: list[tuple[str, str | None, str]] = []
        p = event.find(f"{{{NS}}}Person")
        kind = text(event, NS, "EventKind") or ""
        if text(event, NS, "OrgCode") != self.org_code:
            errors.append(
                ("UNKNOWN_ORGANISATION", "OrgCode", "Организация не найдена в реестре организаций")
            )
        last = text(p, NS, "LastName") or ""
        first = text(p, NS, "FirstName") or ""
        middle = text(p, NS, "MiddleName") or ""
        birth = as_date(text(p, NS, "BirthDate"))
        gender = text(p, NS, "Gender")
        snils = text(p, NS, "Snils")
        doc_type = text(p, NS, "IdentityDocument/DocumentType")
        doc_number = text(p, NS, "IdentityDocument/Number")
        effective = as_date(text(event, NS, "EffectiveDate"))
        order_date = as_date(text(event, NS, "OrderDate"))
        assert effective is not None and order_date is not None
        required: list[tuple[str, object]] = [("BirthDate", birth)]
        if kind == "ENROLMENT":
            required += [("Gender", gender), ("GroupTo", text(event, NS, "GroupTo"))]
            if not snils and not doc_number:
                errors.append(
                    (
                        "MISSING_REQUIRED",
                        "Snils",
                        "Не указан ни СНИЛС, ни документ, удостоверяющий личность",
                    )
                )
        if kind == "TRANSFER":
            required.append(("GroupTo", text(event, NS, "GroupTo")))
        for name, value in required:
            if not value:
                errors.append(("MISSING_REQUIRED", name, f"Не заполнено обязательное поле {name}"))
        if snils:
            try:
                validate_snils(snils)
            except SnilsError as exc:
                errors.append(("BAD_SNILS", "Snils", f"СНИЛС не прошёл проверку: {exc}"))
        if gender is not None and gender not in GENDERS.values():
            errors.append(
                ("UNKNOWN_CODE", "Gender", f"Код пола «{gender}» отсутствует в справочнике")
            )
        if doc_type is not None and doc_type not in DOCUMENT_TYPES:
            errors.append(
                (
                    "UNKNOWN_CODE",
                    "DocumentType",
                    f"Код вида документа «{doc_type}» отсутствует в справочнике ФНС",
                )
            )
        if birth is not None and effective <= birth:
            errors.append(("DATE_ORDER", "EffectiveDate", "Дата движения раньше даты рождения"))
        if effective < order_date - dt.timedelta(days=366):
            errors.append(
                ("DATE_ORDER", "OrderDate", "Приказ издан более чем через год после даты движения")
            )
        if errors:
            return Verdict("REJECTED", errors)

        key = (name_key(last, first, middle), birth, doc_number or "")
        by_snils = self.find_by_snils(snils)
        by_key = self.find_by_key(key)
        if by_snils is not None and by_snils.key()[0] != key[0]:
            return Verdict(
                "DUPLICATE",
                [
                    (
                        "DUPLICATE_SNILS",
                        "Snils",
                        "СНИЛС уже принадлежит другому обучающемуся в реестре",
                    )
                ],
                by_snils.regional_id,
            )
        if by_key is not None and by_snils is not None and by_key is not by_snils:
            return Verdict(
                "DUPLICATE",
                [
                    (
                        "PROBABLE_DUPLICATE",
                        "Person",
                        "В реестре есть обучающийся с теми же ФИО, датой рождения и документом",
                    )
                ],
                by_key.regional_id,
            )
        if by_key is not None and by_key.snils and snils and by_key.snils != snils:
            return Verdict(
                "DUPLICATE",
                [
                    (
                        "PROBABLE_DUPLICATE",
                        "Snils",
                        "Совпадают ФИО, дата рождения и документ, но СНИЛС другой",
                    )
                ],
                by_key.regional_id,
            )
        person = by_snils or by_key
        return self._apply_event(event, kind, person, effective, apply)

    def _apply_event(
        self,
        event: etree._Element,
        kind: str,
        person: RegPerson | None,
        effective: dt.date,
        apply: bool,
    ) -> Verdict:
        order_number = text(event, NS, "OrderNumber")
        order_date = as_date(text(event, NS, "OrderDate"))
        group_to = text(event, NS, "GroupTo")
        if kind == "ENROLMENT":
            if person is not None:
                active = person.active()
                if any(e.start == effective for e in person.episodes):
                    # The registry already holds this enrolment: a consistent repeat, not a conflict.
                    return Verdict("ACCEPTED", regional_id=person.regional_id)
                if active is not None:
                    return Verdict(
                        "CONFLICT",
                        [
                            (
                                "EPISODE_STATE",
                                "EventKind",
                                f"Обучающийся уже зачислен с {active.start.isoformat()}",
                            )
                        ],
                        person.regional_id,
                    )
                last = person.episodes[-1] if person.episodes else None
                if last is not None and last.end is not None and effective < last.end:
                    return Verdict(
                        "REJECTED",
                        [
                            (
                                "DATE_ORDER",
                                "EffectiveDate",
                                "Дата зачисления раньше даты окончания прошлого обучения",
                            )
                        ],
                        person.regional_id,
                    )
            if not apply:
                return Verdict("ACCEPTED", regional_id=person.regional_id if person else None)
            if person is None:
                person = self._new_person(event)
            person.episodes.append(
                Episode(
                    f"E-{len(self.applied) + 1}-{person.regional_id}",
                    "STUDYING",
                    group_to or "",
                    effective,
                    None,
                    order_number,
                    order_date,
                )
            )
            self._log(event, person)
            return Verdict("ACCEPTED", regional_id=person.regional_id)
        if person is None:
            return Verdict(
                "CONFLICT", [("NOT_FOUND", "Person", "Обучающийся не найден в реестре контингента")]
            )
        active = person.active()
        closing = {
            "EXPULSION": "EXPELLED",
            "GRADUATION": "GRADUATED",
            "TRANSFER": "TRANSFERRED_OUT",
        }
        if any(closing.get(kind) == e.status and e.end == effective for e in person.episodes):
            # Already applied (the registry's view is newer than this order): a consistent repeat.
            return Verdict("ACCEPTED", regional_id=person.regional_id)
        allowed = {
            "EXPULSION": ACTIVE,
            "GRADUATION": ("STUDYING",),
            "TRANSFER": ("STUDYING",),
            "ACADEMIC_LEAVE": ("STUDYING",),
            "RETURN": ("ACADEMIC_LEAVE",),
        }[kind]
        if active is None or active.status not in allowed:
            state = (
                "нет действующего зачисления"
                if active is None
                else f"текущий статус {active.status}"
            )
            return Verdict(
                "CONFLICT",
                [("EPISODE_STATE", "EventKind", f"Движение {kind} невозможно: {state}")],
                person.regional_id,
            )
        if effective < active.start:
            return Verdict(
                "REJECTED",
                [
                    (
                        "DATE_ORDER",
                        "EffectiveDate",
                        f"Дата движения раньше даты зачисления {active.start.isoformat()}",
                    )
                ],
                person.regional_id,
            )
        if apply:
            if kind in ("EXPULSION", "GRADUATION"):
                active.status = "EXPELLED" if kind == "EXPULSION" else "GRADUATED"
                active.end = effective
            elif kind == "ACADEMIC_LEAVE":
                active.status = "ACADEMIC_LEAVE"
            elif kind == "RETURN":
                active.status = "STUDYING"
            elif kind == "TRANSFER":
                active.status = "TRANSFERRED_OUT"
                active.end = effective
                person.episodes.append(
                    Episode(
                        f"E-{len(self.applied) + 1}-{person.regional_id}",
                        "STUDYING",
                        group_to or active.group_name,
                        effective,
                        None,
                        order_number,
                        order_date,
                    )
                )
            self._log(event, person)
        return Verdict("ACCEPTED", regional_id=person.regional_id)

    def _new_person(self, event: etree._Element) -> RegPerson:
        p = event.find(f"{{{NS}}}Person")
        person = RegPerson(
            regional_id=f"R-NEW-{self._next_id}",
            local_id=text(p, NS, "LocalID"),
            last=text(p, NS, "LastName") or "",
            first=text(p, NS, "FirstName") or "",
            middle=text(p, NS, "MiddleName") or "",
            birth=as_date(text(p, NS, "BirthDate")),
            gender=text(p, NS, "Gender"),
            snils=text(p, NS, "Snils"),
            doc_type=text(p, NS, "IdentityDocument/DocumentType"),
            doc_series=text(p, NS, "IdentityDocument/Series"),
            doc_number=text(p, NS, "IdentityDocument/Number"),
            doc_issued=as_date(text(p, NS, "IdentityDocument/IssueDate")),
        )
        self._next_id += 1
        self.people.append(person)
        return person

    def _log(self, event: etree._Element, person: RegPerson) -> None:
        self.applied.append(
            {
                "record_id": text(event, NS, "RecordId"),
                "kind": text(event, NS, "EventKind"),
                "regional_id": person.regional_id,
            }
        )

    # -- documents --------------------------------------------------------------------------

    def _answer(self, record_id: str, verdict: Verdict) -> etree._Element:
        root = etree.Element(f"{{{NS}}}MovementEventResponse", nsmap={"cnt": NS})
        sub(root, NS, "RecordId", record_id)
        sub(root, NS, "Status", verdict.status)
        sub(root, NS, "RegionalID", verdict.regional_id)
        for code, field_name, message in verdict.errors:
            error = node(root, NS, "Error")
            sub(error, NS, "Code", code)
            sub(error, NS, "Field", field_name)
            sub(error, NS, "Message", message)
        return root

    def view(self, now: dt.datetime) -> etree._Element:
        root = etree.Element(f"{{{NS}}}ContingentViewResponse", nsmap={"cnt": NS})
        sub(root, NS, "OrgCode", self.org_code)
        sub(root, NS, "AsOf", now)
        for person in self.people:
            student = node(root, NS, "Student")
            sub(student, NS, "RegionalID", person.regional_id)
            p = node(student, NS, "Person")
            sub(p, NS, "LocalID", person.local_id)
            sub(p, NS, "LastName", person.last)
            sub(p, NS, "FirstName", person.first)
            sub(p, NS, "MiddleName", person.middle)
            sub(p, NS, "BirthDate", person.birth)
            sub(p, NS, "Gender", person.gender)
            sub(p, NS, "Snils", person.snils)
            if person.doc_number:
                doc = node(p, NS, "IdentityDocument")
                sub(doc, NS, "DocumentType", person.doc_type or "91")
                sub(doc, NS, "Series", person.doc_series)
                sub(doc, NS, "Number", person.doc_number)
                sub(doc, NS, "IssueDate", person.doc_issued)
            for episode in person.episodes:
                e = node(student, NS, "Episode")
                sub(e, NS, "EpisodeId", episode.episode_id)
                sub(e, NS, "Status", episode.status)
                sub(e, NS, "GroupName", episode.group_name or "—")
                sub(e, NS, "StartDate", episode.start)
                sub(e, NS, "EndDate", episode.end)
                sub(e, NS, "OrderNumber", episode.order_number)
                sub(e, NS, "OrderDate", episode.order_date)
        return root
