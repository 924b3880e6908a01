"""Defects 2 and 8 of issue 12: the ЕПГУ decision as a table, tested on every row.

Every (child × applicant × documents) combination is built from real canonical
records, checked to produce exactly that combination, and decided; only
match × match × match serves, and every refusal from the store reads the same
whether the child exists or not.
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import product
from pathlib import Path

import pytest
from sqlalchemy import Engine

from canonical.base import Platform, SourceRef
from canonical.people import ParentLink, Person, Role, Sex
from canonical.requests import EpguRequest
from pipelines.smev3.epgu import decide_in_store
from policies.epgu import (
    REFUSE_NOT_REPRESENTATIVE,
    REFUSE_PERIOD,
    TABLE,
    Check,
    Outcome,
    Requirements,
    decide,
    decide_across,
    judge_link,
)
from policies.profiles import PROFILE_IDS, load_profile

REGULATIONS = Path("/work/shared/regulations")
REQ = Requirements(card=("sex", "passport"), clause="1.6")
CHILD_BIRTH = dt.date(2014, 3, 2)
PARENT_BIRTH = dt.date(1985, 6, 7)


def _src(external_id: str) -> SourceRef:
    return SourceRef(platform=Platform.NETSCHOOL, deployment="ns", external_id=external_id)


def _child(**over: object) -> Person:
    values: dict[str, object] = {
        "source": _src("s1"),
        "last_name": "Петрова",
        "first_name": "Анна",
        "middle_name": "Игоревна",
        "roles": (Role.STUDENT,),
        "birth_date": CHILD_BIRTH,
        "snils": "112-233-445 95",
    }
    values.update(over)
    return Person.model_validate(values)


def _parent(**over: object) -> Person:
    values: dict[str, object] = {
        "source": _src("p1"),
        "last_name": "Петров",
        "first_name": "Игорь",
        "middle_name": "Олегович",
        "roles": (Role.PARENT,),
        "birth_date": PARENT_BIRTH,
        "sex": Sex.MALE,
        "snils": "123-456-789 64",
        "document_type": "21",
        "document_series": "0101",
        "document_number": "123456",
    }
    values.update(over)
    return Person.model_validate(values)


def _request(**over: object) -> EpguRequest:
    values: dict[str, object] = {
        "source": SourceRef(platform=Platform.EPGU, deployment="smev", external_id="o1"),
        "order_id": "o1",
        "received_at": dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC),
        "applicant_last_name": "ПЕТРОВ",
        "applicant_first_name": "игорь",
        "applicant_middle_name": "Олегович",
        "applicant_birth_date": PARENT_BIRTH,
        "applicant_snils": "12345678964",
        "child_last_name": "Петрова",
        "child_first_name": "Анна",
        "child_middle_name": "",
        "child_birth_date": CHILD_BIRTH,
        "period_from": dt.date(2026, 10, 1),
        "period_to": dt.date(2026, 10, 31),
    }
    values.update(over)
    return EpguRequest.model_validate(values)


LINK = ParentLink(source=_src("l1"), parent_id="p1", child_id="s1")

CHILD_CASES: dict[Check, dict[str, object]] = {
    Check.MATCH: {},
    Check.MISSING: {"birth_date": None},
    Check.CONFLICT: {"birth_date": dt.date(2015, 1, 1)},
}
APPLICANT_CASES: dict[Check, dict[str, object]] = {
    Check.MATCH: {},
    Check.MISSING: {"birth_date": None},
    Check.CONFLICT: {"birth_date": dt.date(1986, 6, 7)},
}
DOCUMENT_CASES: dict[Check, tuple[dict[str, object], dict[str, object]]] = {
    # (parent card overrides, application overrides)
    Check.MATCH: (
        {},
        {"applicant_document_series": "01 01", "applicant_document_number": "123456"},
    ),
    Check.MISSING: ({"sex": None}, {}),
    Check.CONFLICT: ({}, {"applicant_document_series": "0202", "applicant_document_number": "1"}),
}


@pytest.mark.parametrize("combo", list(product(Check, Check, Check)), ids=str)
def test_every_row_of_the_table(combo: tuple[Check, Check, Check]) -> None:
    child_state, applicant_state, documents_state = combo
    card_over, request_over = DOCUMENT_CASES[documents_state]
    child = _child(**CHILD_CASES[child_state])
    parent = _parent(**{**APPLICANT_CASES[applicant_state], **card_over})
    request = _request(**request_over)
    assert judge_link(request, child, parent, REQ) == combo, "the case builds its row"

    decision = decide(request, [child, parent], [LINK], REQ)
    expected = TABLE[combo]
    assert decision.outcome is expected
    if combo == (Check.MATCH, Check.MATCH, Check.MATCH):
        assert expected is Outcome.SERVE and decision.provide and decision.child == child
    elif combo[:2] == (Check.MATCH, Check.MATCH) and documents_state is Check.MISSING:
        assert expected is Outcome.CARD_INCOMPLETE
        assert decision.refusal and "пол" in decision.refusal and "п. 1.6" in decision.refusal
    else:
        assert expected is Outcome.NOT_CONFIRMED
        # The same words as for a child who does not exist, or a stranger.
        assert decision.refusal == REFUSE_NOT_REPRESENTATIVE
        assert decide(request, [], [], REQ).refusal == decision.refusal
        assert decide(request, [child, parent], [], REQ).refusal == decision.refusal
    for leak in ("Петрова", "Анна", "2014", "s1"):
        assert leak not in (decision.refusal or "")


def test_the_table_has_every_row_and_serves_one() -> None:
    assert len(TABLE) == 27
    assert [k for k, v in TABLE.items() if v is Outcome.SERVE] == [(Check.MATCH,) * 3]


def test_a_name_alone_never_serves() -> None:
    """Defect 2: an application with no СНИЛС and no birth date got the child's diary."""
    bare = _request(applicant_birth_date=None, applicant_snils=None, child_birth_date=None)
    for profile in PROFILE_IDS:
        req = Requirements.of_profile(load_profile(profile))
        decision = decide(bare, [_child(snils=None), _parent(snils=None)], [LINK], req)
        assert not decision.provide, profile
        assert decision.refusal and "не указаны" in decision.refusal
        assert "дата рождения ребёнка" in decision.refusal
        assert "дата рождения заявителя" in decision.refusal


def test_a_missing_value_in_the_journal_never_matches() -> None:
    request = _request()
    for over in ({"birth_date": None},):
        assert not decide(request, [_child(**over), _parent()], [LINK]).provide
        assert not decide(request, [_child(), _parent(**over)], [LINK]).provide


def test_requirements_are_the_profiles() -> None:
    """п. 1.6 is talmenka's: a linked parent without a passport is served at tpt, not talmenka."""
    parent = _parent(document_number=None, document_series=None)
    people = [_child(), parent]
    tpt = decide(_request(), people, [LINK], Requirements.of_profile(load_profile("tpt")))
    assert tpt.provide
    talmenka = decide(_request(), people, [LINK], Requirements.of_profile(load_profile("talmenka")))
    assert not talmenka.provide and talmenka.outcome is Outcome.CARD_INCOMPLETE
    assert talmenka.refusal and "п. 1.6" in talmenka.refusal and "паспорт" in talmenka.refusal


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("profile", PROFILE_IDS)
def test_the_epgu_clause_is_quoted_verbatim(profile: str) -> None:
    loaded = load_profile(profile)
    req = Requirements.of_profile(loaded)
    if not req.text:
        return
    regulation = _squash((REGULATIONS / loaded.regulation).read_text(encoding="utf-8"))
    assert _squash(req.text) in regulation
    assert req.text.startswith(req.clause)


def test_a_reversed_period_gives_the_periods_reason() -> None:
    """Defect 8: the pipeline answered «не является родителем» for a reversed period."""
    reversed_period = _request(period_from=dt.date(2026, 10, 31), period_to=dt.date(2026, 10, 1))
    sources = {("netschool", "ns"): ([_child(), _parent()], [LINK])}
    decision, source = decide_across(reversed_period, sources)
    assert decision.refusal == REFUSE_PERIOD and source is None
    assert decide_across(reversed_period, {})[0].refusal == REFUSE_PERIOD


def test_a_reversed_period_through_the_store(engine: Engine) -> None:
    reversed_period = _request(period_from=dt.date(2026, 10, 31), period_to=dt.date(2026, 10, 1))
    with engine.connect() as conn:
        decision, _ = decide_in_store(conn, reversed_period)
    assert decision.refusal == REFUSE_PERIOD


def test_a_contradicting_snils_refuses() -> None:
    request = _request(child_snils="987-654-321 70")
    assert not decide(request, [_child(), _parent()], [LINK]).provide
    assert decide(_request(child_snils="112 233 445 95"), [_child(), _parent()], [LINK]).provide
