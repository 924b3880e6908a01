"""``contingent.registry.match`` names the student a deputy knows.

A student expelled by an order the registry never received has left the journal's class
lists (no open enrolment), yet the journal still has the person.  The registry's
«studying» is then a status to correct on that journal student, found through СНИЛС (or
ФИО and birth date), not a stranger «нет в журнале».  A return from academic leave that
one side keeps as a new enrolment and the other as the old episode is the same state; a
transfer the registry lacks still differs, by its date when the group's name is the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from canonical.base import Platform, Record, SourceRef
from canonical.registry import record_type
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from local_store.violations import list_violations
from policies.engine import run_check
from policies.profiles import load_profile
from tests.policies.store import DEPLOYMENT, rec, sync

AT = dt.datetime(2024, 10, 16, 8, tzinfo=dt.UTC)
SEPT = dt.date(2024, 9, 1)

STUDENTS = {
    # id: (last name, birth date, СНИЛС)
    "P1": ("Петров", dt.date(2007, 1, 1), "112-233-445 95"),
    "P2": ("Сидоров", dt.date(2007, 1, 2), "112-233-446 96"),
    "P3": ("Кузнецов", dt.date(2007, 1, 3), "112-233-447 97"),
    "P4": ("Волков", dt.date(2007, 1, 4), "112-233-449 99"),
}


def _registry(kind: str, external_id: str, **fields: Any) -> Record:
    return record_type(kind).model_validate(
        {
            **fields,
            "source": SourceRef(
                platform=Platform.CONTINGENT, deployment="registry", external_id=external_id
            ),
        }
    )


def _person(
    make: Callable[..., Record], pid: str, last: str, born: dt.date, snils: str | None
) -> Record:
    return make(
        "person",
        pid,
        last_name=last,
        first_name="Иван",
        birth_date=born,
        snils=snils,
        roles=["student"],
    )


def _journal() -> list[Record]:
    records: list[Record] = [
        rec("group", "G1", name="ТМ-21", group_kind="academic_group"),
        *(_person(rec, pid, *facts) for pid, facts in STUDENTS.items()),
        rec("enrolment", "E1", student_id="P1", group_id="G1", status="studying", starts_on=SEPT),
        # P2 expelled on 15.10 by order 12-к: no open enrolment any more
        rec(
            "enrolment",
            "E2",
            student_id="P2",
            group_id="G1",
            status="expelled",
            starts_on=SEPT,
            ends_on=dt.date(2024, 10, 15),
            order_number="1-к",
        ),
        # P3 back from academic leave: the journal closes the old enrolment, opens a new one
        rec(
            "enrolment",
            "E3",
            student_id="P3",
            group_id="G1",
            status="transferred_out",
            starts_on=SEPT,
            ends_on=dt.date(2024, 10, 10),
            order_number="1-к",
        ),
        rec(
            "enrolment",
            "E3b",
            student_id="P3",
            group_id="G1",
            status="studying",
            starts_on=dt.date(2024, 10, 11),
            order_number="20-к",
        ),
        rec(
            "movement_order",
            "M20",
            student_id="P3",
            movement="return",
            number="20-к",
            order_date=dt.date(2024, 10, 9),
            effective_date=dt.date(2024, 10, 11),
        ),
        # P4 transferred by order 30-к, which the registry never got: a new enrolment the
        # registry lacks, in a group of the same name, differs by its date alone
        rec(
            "enrolment",
            "E4",
            student_id="P4",
            group_id="G1",
            status="transferred_out",
            starts_on=SEPT,
            ends_on=dt.date(2024, 10, 13),
            order_number="1-к",
        ),
        rec(
            "enrolment",
            "E4b",
            student_id="P4",
            group_id="G1",
            status="studying",
            starts_on=dt.date(2024, 10, 14),
            order_number="30-к",
        ),
        rec(
            "movement_order",
            "M30",
            student_id="P4",
            movement="transfer",
            number="30-к",
            order_date=dt.date(2024, 10, 14),
            effective_date=dt.date(2024, 10, 14),
        ),
    ]
    return records


def _registry_view() -> list[Record]:
    records: list[Record] = [_registry("group", "RG", name="ТМ-21", group_kind="academic_group")]
    for pid, (last, born, snils) in STUDENTS.items():
        # the registry spells P2's name otherwise: СНИЛС still links the two
        name = "Сидорова" if pid == "P2" else last
        records.append(_person(_registry, f"R{pid}", name, born, snils))
        records.append(
            _registry(
                "enrolment",
                f"RE{pid}",
                student_id=f"R{pid}",
                group_id="RG",
                status="studying",  # P2's expulsion never reached the registry
                starts_on=SEPT,
                order_number="1-к",
            )
        )
    # someone the registry keeps in the group whom the journal never had
    records.append(_person(_registry, "RX", "Орлов", dt.date(2007, 2, 1), "112-233-448 98"))
    records.append(
        _registry(
            "enrolment", "REX", student_id="RX", group_id="RG", status="studying", starts_on=SEPT
        )
    )
    return records


def test_a_student_expelled_without_the_registry_is_named_on_the_journal_side(
    engine: Engine,
) -> None:
    sync(engine, AT, {"contingent": _journal()})
    run_id = start_run(
        engine, "contingent", deployment="registry", scope="contingent:registry", observed_at=AT
    )
    ingest(engine, run_id, [Snapshot.of("contingent:registry:view:org", _registry_view())])
    finish_run(engine, run_id, RunStatus.SUCCEEDED)

    run_check(engine, load_profile("tpt"), rules=["contingent.registry.match"])
    found = {
        (v["deployment"], v["entity_key"]): v
        for v in list_violations(engine, rule_id="contingent.registry.match")
    }
    assert set(found) == {(DEPLOYMENT, "P2"), (DEPLOYMENT, "P4"), ("registry", "RX")}, sorted(found)
    expelled = found[(DEPLOYMENT, "P2")]
    assert expelled["evidence"]["differences"] == {
        "status": {"journal": "expelled", "registry": "studying"}
    }
    assert expelled["evidence"]["registry_id"] == "RP2"
    assert expelled["message"] == "Расхождение с реестром контингента: статус"
    assert found[(DEPLOYMENT, "P4")]["evidence"]["differences"] == {
        "movement_date": {"journal": "2024-10-14", "registry": "2024-09-01"}
    }
    stranger = found[("registry", "RX")]
    assert "которого нет в журнале" in stranger["message"]
