"""Whether an ЕПГУ e-diary application is served (policy-catalog.md §6), as one table.

An application names a child and an applicant; the journal holds children,
parents and the links between them.  For every journal child linked to a
parent, three things are compared with the application:

* the **child** (name, birth date, and whatever else the profile requires);
* the **applicant** against the linked parent's card (name, birth date, СНИЛС…);
* the **documents** the profile requires the parent's card to hold (talmenka
  п. 1.6: sex, passport…), and the passport the application carries, if any.

Each comparison is ``match`` (every required value present on both sides and
equal, nothing known contradicting), ``missing`` (a required value absent on a
side) or ``conflict`` (a value known on both sides differs).  A missing
required value never matches.  :data:`TABLE` maps the three to an outcome;
the application is served when some link is served.

Which values are required is the profile's (``[epgu]`` in ``profiles/*.toml``,
with the clause quoted).  A refusal states its true reason without saying
whether the child exists: what the application itself lacks is named; what
the store showed is one sentence for "no such child", "not your child" and
"the card lacks what the check needs".  The same function decides the
pipeline's answer and judges the rule ``epgu.own_child_only``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import product
from typing import Any

from canonical.normalize import name_key
from canonical.people import ParentLink, Person, Role
from canonical.requests import EpguRequest
from policies.calendar import WorkCalendar
from policies.profiles import Profile


class Check(StrEnum):
    MATCH = "match"
    MISSING = "missing"
    CONFLICT = "conflict"


class Outcome(StrEnum):
    SERVE = "serve"
    CARD_INCOMPLETE = "card_incomplete"
    """Identity proven on every required value; the parent's card lacks what the profile asks."""
    NOT_CONFIRMED = "not_confirmed"


def _outcome(child: Check, applicant: Check, documents: Check) -> Outcome:
    if Check.CONFLICT in (child, applicant, documents):
        return Outcome.NOT_CONFIRMED
    if Check.MISSING in (child, applicant):
        return Outcome.NOT_CONFIRMED
    if documents is Check.MISSING:
        return Outcome.CARD_INCOMPLETE
    return Outcome.SERVE


TABLE: Mapping[tuple[Check, Check, Check], Outcome] = {
    (c, a, d): _outcome(c, a, d) for c, a, d in product(Check, Check, Check)
}
"""(child, applicant, documents) → outcome for one journal link; all 27 rows.

Served only on match × match × match; a card that matches on identity but lacks
the profile's documents is refused naming what to add; anything else is the one
sentence that reveals nothing."""

REFUSE_NOT_REPRESENTATIVE = (
    "Отказ в предоставлении услуги: по сведениям организации заявитель не подтверждён как "
    "родитель (законный представитель) обучающегося, указанного в заявлении: такой "
    "обучающийся не найден, заявитель не указан его законным представителем, или сведения "
    "заявления не совпадают со сведениями организации"
)
REFUSE_PERIOD = "Отказ в предоставлении услуги: окончание периода раньше его начала"
REFUSE_CANCELLED = "Заявление отозвано заявителем"

FIELD_RU = {
    "name": "ФИО",
    "birth_date": "дата рождения",
    "snils": "СНИЛС",
    "passport": "паспортные данные",
    "sex": "пол",
    "middle_name": "отчество",
}
IDENTITY_FIELDS = ("name", "birth_date", "snils")
DOCUMENT_FIELDS = ("passport", "sex")
CARD_FIELDS = ("sex", "birth_date", "snils", "passport", "middle_name")


class EpguProfileError(ValueError):
    """A profile's ``[epgu]`` section that cannot be used (Russian)."""


@dataclass(frozen=True)
class Requirements:
    """What one profile requires to serve the e-diary (its ``[epgu]`` section)."""

    child: tuple[str, ...] = ("name", "birth_date")
    """Values of the child that must be in the application and match the journal's child."""
    applicant: tuple[str, ...] = ("name", "birth_date")
    """Values of the applicant that must be in the application and match the parent's card."""
    card: tuple[str, ...] = ()
    """Values the parent's card must hold (talmenka п. 1.6), compared when the application
    carries them too."""
    clause: str = ""
    text: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str = "профиль") -> Requirements:
        def fields(key: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
            values = tuple(str(v) for v in raw.get(key, default))
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise EpguProfileError(
                    f"{where}: epgu.{key}: неизвестные сведения {', '.join(unknown)}; "
                    f"возможны: {', '.join(allowed)}"
                )
            return values

        base = cls()
        out = cls(
            child=fields("child", IDENTITY_FIELDS, base.child),
            applicant=fields("applicant", IDENTITY_FIELDS, base.applicant),
            card=fields("card", CARD_FIELDS, base.card),
            clause=str(raw.get("clause", "")),
            text=str(raw.get("text", "")),
        )
        for side in ("child", "applicant"):
            if "name" not in getattr(out, side):
                raise EpguProfileError(f"{where}: epgu.{side} должно включать name")
        return out

    @classmethod
    def of_profile(cls, profile: Profile) -> Requirements:
        return cls.from_mapping(profile.epgu, f"профиль {profile.id}")


@dataclass(frozen=True)
class Decision:
    child: Person | None
    parent: Person | None
    refusal: str | None
    outcome: Outcome | None = None
    """``None`` for a refusal decided on the application alone (period, missing values)."""

    @property
    def provide(self) -> bool:
        return self.refusal is None


def answer_deadline(
    received_at: dt.datetime, working_days: int, calendar: WorkCalendar
) -> dt.datetime:
    """The end of the ``working_days``-th working day after receipt, in the institution's
    time zone: the production calendar's holidays and moved Saturdays count, weekends do not."""
    day = calendar.add_working_days(calendar.local_date(received_at), working_days)
    return calendar.end_of_day(day)


# -- comparing values ---------------------------------------------------------------------------

_DIGITS = re.compile(r"\d")


def _digits(value: str | None) -> str | None:
    if not value:
        return None
    found = "".join(_DIGITS.findall(value))
    return found or None


def person_key(last: str, first: str, middle: str = "") -> tuple[str, str]:
    """(last + first key, middle key): the one name comparison of the decision and the rule.

    Case, ё/е, spaces and hyphens never matter; a middle name counts only when
    both sides have one (children and foreign citizens often have none).
    """
    return name_key(last, first), name_key(middle, "") if middle else ""


def _name(a: tuple[str, str], b: tuple[str, str]) -> object:
    if a[0] != b[0] or (a[1] and b[1] and a[1] != b[1]):
        return _CONFLICT
    return a[0]


_CONFLICT = object()


def _values_person(person: Person) -> dict[str, object]:
    return {
        "name": person_key(person.last_name, person.first_name, person.middle_name),
        "birth_date": person.birth_date,
        "snils": _digits(person.snils),
        "passport": _digits(
            f"{person.document_series or ''}{person.document_number or ''}"
            if person.document_number and person.document_type in (None, "21")
            else None
        ),
        "sex": person.sex,
        "middle_name": person.middle_name or None,
    }


def _values_child(request: EpguRequest) -> dict[str, object]:
    return {
        "name": person_key(
            request.child_last_name, request.child_first_name, request.child_middle_name
        ),
        "birth_date": request.child_birth_date,
        "snils": _digits(request.child_snils),
        "passport": None,
    }


def _values_applicant(request: EpguRequest) -> dict[str, object]:
    number = request.applicant_document_number
    return {
        "name": person_key(
            request.applicant_last_name,
            request.applicant_first_name,
            request.applicant_middle_name,
        ),
        "birth_date": request.applicant_birth_date,
        "snils": _digits(request.applicant_snils),
        "passport": _digits(f"{request.applicant_document_series or ''}{number}")
        if number
        else None,
        "sex": request.applicant_sex,
        "middle_name": request.applicant_middle_name or None,
    }


def compare(
    asked: Mapping[str, object], known: Mapping[str, object], required: Sequence[str]
) -> Check:
    """Conflict if any value known on both sides differs; missing if a required one is absent."""
    for field in IDENTITY_FIELDS:
        a, b = asked.get(field), known.get(field)
        if a is None or b is None:
            continue
        if field == "name":
            assert isinstance(a, tuple) and isinstance(b, tuple)
            if _name(a, b) is _CONFLICT:
                return Check.CONFLICT
        elif a != b:
            return Check.CONFLICT
    if any(asked.get(f) is None or known.get(f) is None for f in required):
        return Check.MISSING
    return Check.MATCH


def _documents(asked: Mapping[str, object], card: Mapping[str, object], req: Requirements) -> Check:
    """The card's documents: a passport or sex the application states must agree with it;
    the fields the profile lists must be on the card."""
    for field in DOCUMENT_FIELDS:
        a, b = asked.get(field), card.get(field)
        if a is not None and b is not None and a != b:
            return Check.CONFLICT
    if any(card.get(f) is None for f in req.card):
        return Check.MISSING
    return Check.MATCH


def missing_in_application(request: EpguRequest, req: Requirements) -> list[str]:
    """Required values the application itself does not carry (Russian, for the refusal)."""
    child, applicant = _values_child(request), _values_applicant(request)
    missing = [f"{FIELD_RU[f]} ребёнка" for f in req.child if child.get(f) is None]
    missing += [f"{FIELD_RU[f]} заявителя" for f in req.applicant if applicant.get(f) is None]
    return missing


def missing_card_fields(parent: Person, req: Requirements) -> list[str]:
    card = _values_person(parent)
    return [f for f in req.card if card.get(f) is None]


def _card_refusal(parent: Person, req: Requirements) -> str:
    fields = ", ".join(FIELD_RU[f] for f in missing_card_fields(parent, req))
    clause = f" (п. {req.clause} положения)" if req.clause else ""
    return (
        "Отказ в предоставлении услуги: в АИС не внесены сведения о родителе (законном "
        f"представителе), необходимые для услуги{clause}: {fields}. "
        "Обратитесь к классному руководителю или в администрацию организации"
    )


def judge_link(
    request: EpguRequest, child: Person, parent: Person, req: Requirements
) -> tuple[Check, Check, Check]:
    """The three comparisons of one journal link with the application."""
    parent_values = _values_person(parent)
    asked_applicant = _values_applicant(request)
    return (
        compare(_values_child(request), _values_person(child), req.child),
        compare(asked_applicant, parent_values, req.applicant),
        _documents(asked_applicant, parent_values, req),
    )


def decide(
    request: EpguRequest,
    people: Sequence[Person],
    links: Sequence[ParentLink],
    requirements: Requirements | None = None,
) -> Decision:
    """Serve the application, or refuse it with its true reason and nothing about the child."""
    req = requirements or Requirements()
    if request.period_to < request.period_from:
        return Decision(None, None, REFUSE_PERIOD)
    missing = missing_in_application(request, req)
    if missing:
        return Decision(
            None,
            None,
            "Отказ в предоставлении услуги: в заявлении не указаны сведения, необходимые для "
            f"услуги: {', '.join(missing)}",
        )
    by_id = {p.source.external_id: p for p in people}
    child_name = name_key(request.child_last_name, request.child_first_name)
    best = Decision(None, None, REFUSE_NOT_REPRESENTATIVE, Outcome.NOT_CONFIRMED)
    for link in links:
        if not link.legal_representative:
            continue
        child, parent = by_id.get(link.child_id), by_id.get(link.parent_id)
        if child is None or parent is None or Role.STUDENT not in child.roles:
            continue
        if name_key(child.last_name, child.first_name) != child_name:
            continue
        outcome = TABLE[judge_link(request, child, parent, req)]
        if outcome is Outcome.SERVE:
            return Decision(child, parent, None, outcome)
        if outcome is Outcome.CARD_INCOMPLETE and best.outcome is Outcome.NOT_CONFIRMED:
            best = Decision(None, parent, _card_refusal(parent, req), outcome)
    return best


def identity_unproven(decision: Decision) -> bool:
    """A refusal because the applicant was not shown to be the child's representative
    (``epgu.own_child_only``), not because of the period or the parent's card (п. 1.6)."""
    if decision.provide or decision.refusal == REFUSE_PERIOD:
        return False
    return decision.outcome is not Outcome.CARD_INCOMPLETE


OWN_FILE_FIELDS = (
    "middle_name",
    "birth_date",
    "sex",
    "snils",
    "document_type",
    "document_series",
    "document_number",
    "document_issued_on",
)
"""What an institution's own file may add to a journal's card (identity resolution)."""

LOCAL_PREFIX = "local:"


def with_own_files(
    sources: Mapping[tuple[str, str], tuple[Sequence[Person], Sequence[ParentLink]]],
) -> dict[tuple[str, str], tuple[list[Person], list[ParentLink]]]:
    """Each journal source completed from the institution's own file of the same people.

    A journal that keeps no birth dates, СНИЛС or passports (NetSchool) is joined with the
    institution's file imported as ``local:<deployment>`` under the journal's ids: a value
    the journal lacks is taken from the file; a value the journal has is never overridden;
    a person only the file knows (a parent the journal keeps no card for) joins the source.
    The file's own source is then no longer a separate candidate: it holds no links.
    """
    out: dict[tuple[str, str], tuple[list[Person], list[ParentLink]]] = {}
    journals = {deployment for platform, deployment in sources if platform != "local"}
    own_files = {
        deployment.removeprefix(LOCAL_PREFIX): people
        for (platform, deployment), (people, _) in sources.items()
        if platform == "local"
    }
    for (platform, deployment), (people, links) in sources.items():
        if platform == "local":
            if deployment.removeprefix(LOCAL_PREFIX) not in journals:
                out[(platform, deployment)] = (list(people), list(links))
            continue
        by_id = {p.source.external_id: p for p in own_files.get(deployment, ())}
        merged: list[Person] = []
        for person in people:
            filed = by_id.pop(person.source.external_id, None)
            if filed is not None:
                update = {
                    f: getattr(filed, f)
                    for f in OWN_FILE_FIELDS
                    if not getattr(person, f) and getattr(filed, f)
                }
                person = person.model_copy(update=update) if update else person
            merged.append(person)
        merged.extend(by_id.values())
        out[(platform, deployment)] = (merged, list(links))
    return out


def decide_across(
    request: EpguRequest,
    sources: Mapping[tuple[str, str], tuple[Sequence[Person], Sequence[ParentLink]]],
    requirements: Requirements | None = None,
) -> tuple[Decision, tuple[str, str] | None]:
    """The decision over every journal source: served by one wins, then a named refusal."""
    first = decide(request, [], [], requirements)
    if first.outcome is None:  # decided on the application alone
        return first, None
    best: tuple[Decision, tuple[str, str] | None] = (first, None)
    for source, (people, links) in sorted(with_own_files(sources).items()):
        decision = decide(request, people, links, requirements)
        if decision.provide:
            return decision, source
        if decision.outcome is Outcome.CARD_INCOMPLETE and best[0].outcome is not decision.outcome:
            best = (decision, source)
    return best
