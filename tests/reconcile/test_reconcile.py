"""Reconciliation on a world with planted cross-source differences."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Engine, select

from local_store.discrepancies import Status, acknowledge, list_discrepancies
from local_store.identity import MatchKey
from local_store.reconcile import reconcile, resolutions_of
from local_store.reconcile_schema import root_cause
from tests.reconcile.worlds import MOMENT, TODAY, contingent_world, ingest_world


def _open_by_rule(engine: Engine) -> Counter[str]:
    return Counter(d.rule for d in list_discrepancies(engine, [Status.OPEN, Status.ACKNOWLEDGED]))


def test_planted_differences_found_with_their_causes(engine: Engine) -> None:
    ingest_world(engine)
    result = reconcile(engine, at=MOMENT, today=TODAY)

    assert result.by_rule() == {
        "e_uslugi.not_in_journal": 1,
        "enrolment.group_mismatch": 25,
        "enrolment.status_mismatch": 1,
        "epgu.parent_incomplete": 1,
        "movement.order_missing_journal": 25,
        "person.data_mismatch": 2,
        "person.missing_in_journal": 1,
        "person.missing_in_registry": 1,
        "registry.rejected": 1,
    }
    rows = {(d.rule, d.field, d.subject): d for d in list_discrepancies(engine)}
    fields = sorted(d.field or "" for d in rows.values() if d.rule == "person.data_mismatch")
    assert fields == ["birth_date", "snils"]

    birth = next(d for d in rows.values() if d.field == "birth_date")
    assert birth.side_a is not None and birth.side_b is not None
    assert birth.side_a["platform"] == "netschool" and birth.side_b["platform"] == "contingent"
    assert birth.side_b["value"] == "2007-12-31"

    missing_reg = next(d for d in rows.values() if d.rule == "person.missing_in_registry")
    assert missing_reg.side_a is not None and missing_reg.side_a["external_id"] == "s26"
    missing_j = next(d for d in rows.values() if d.rule == "person.missing_in_journal")
    assert missing_j.side_b is not None and missing_j.side_b["external_id"] == "s27"
    status = next(d for d in rows.values() if d.rule == "enrolment.status_mismatch")
    assert (status.side_a or {})["value"] == "studying" and (status.side_b or {})[
        "value"
    ] == "expelled"
    assert status.root_cause_id is None, "no order explains s29's status"
    epgu = next(d for d in rows.values() if d.rule == "epgu.parent_incomplete")
    assert "СНИЛС" in epgu.message and "паспорт" in epgu.message
    eu = next(d for d in rows.values() if d.rule == "e_uslugi.not_in_journal")
    assert eu.subject == "Новенькая Мария"


def test_missing_transfer_order_is_one_root_cause_with_its_consequences(engine: Engine) -> None:
    ingest_world(engine)
    reconcile(engine, at=MOMENT, today=TODAY)
    with engine.connect() as conn:
        causes = conn.execute(select(root_cause)).mappings().all()
    assert len(causes) == 1
    cause = causes[0]
    assert "45-к" in cause["title"] and "перевод" in cause["title"] and "журнал" in cause["title"]
    assert cause["details"]["consequences"] == 50
    consequences = [d for d in list_discrepancies(engine) if d.root_cause_id == cause["id"]]
    assert Counter(d.rule for d in consequences) == {
        "movement.order_missing_journal": 25,
        "enrolment.group_mismatch": 25,
    }
    assert len({d.person_key for d in consequences}) == 25
    assert all(d.root_cause_title == cause["title"] for d in consequences)


def test_identity_resolution_says_which_key_matched(engine: Engine) -> None:
    ingest_world(engine)
    reconcile(engine, at=MOMENT, today=TODAY)
    refs = [
        ("person", "netschool", "ns.test", "s05"),
        ("person", "netschool", "ns.test", "s30"),
        ("person", "netschool", "ns.test", "s26"),
        ("expected_enrolment", "e_uslugi", "eu.test", "x2"),
    ]
    res = resolutions_of(engine, refs)
    assert res[refs[0]]["match_key"] == MatchKey.SNILS
    assert res[refs[1]]["match_key"] == MatchKey.FIO_BIRTH_DOCUMENT, "bad checksum: not a key"
    assert res[refs[2]]["match_key"] == MatchKey.UNMATCHED
    assert res[refs[3]]["match_key"] == MatchKey.SNILS
    assert res[refs[0]]["person_key"] == res[refs[3]]["person_key"]


def test_rerun_keeps_ids_and_lifecycle(engine: Engine) -> None:
    ingest_world(engine)
    reconcile(engine, at=MOMENT, today=TODAY)
    first = {d.id: d for d in list_discrepancies(engine)}
    some = next(iter(first))
    acknowledge(engine, some, "проверяем")

    later = MOMENT + dt.timedelta(days=1)
    result = reconcile(engine, at=later, today=TODAY + dt.timedelta(days=1))
    assert result.stats is not None
    assert result.stats.opened == 0 and result.stats.still_open == len(first)
    second = {d.id: d for d in list_discrepancies(engine)}
    assert second.keys() == first.keys(), "re-running never duplicates"
    assert second[some].status == Status.ACKNOWLEDGED
    assert second[some].first_seen_at == MOMENT and second[some].last_seen_at == later


def test_fixed_difference_is_resolved_and_comes_back_reopened(engine: Engine) -> None:
    data = contingent_world()
    ingest_world(engine, data)
    reconcile(engine, at=MOMENT, today=TODAY)

    # The registry corrects s28's birth date: the discrepancy is resolved, not deleted.
    fixed = contingent_world()
    fixed["views"] = [
        v for v in fixed["views"] if not (v["id"] == "s28" and v["field"] == "birth_date")
    ]
    ingest_world(engine, fixed)
    at2 = MOMENT + dt.timedelta(days=2)
    reconcile(engine, at=at2, today=TODAY)
    birth = [d for d in list_discrepancies(engine) if d.field == "birth_date"]
    assert len(birth) == 1 and birth[0].status == Status.RESOLVED and birth[0].resolved_at == at2

    ingest_world(engine, data)
    reconcile(engine, at=MOMENT + dt.timedelta(days=3), today=TODAY)
    birth = [d for d in list_discrepancies(engine) if d.field == "birth_date"]
    assert len(birth) == 1 and birth[0].status == Status.OPEN and birth[0].resolved_at is None
