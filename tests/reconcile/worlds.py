"""A small college with planted differences between the journal and the contingent registry.

Planted (what reconciliation must find, with the cause):
- order «45-к» transfers s01–s25 from ИС-21 to ИС-22; the registry has it, the journal
  has neither the orders nor the transfer → one root cause, 25 missing orders + 25 group
  mismatches;
- s26 only in the journal; s27 only in the registry (and the registry rejected it);
- s28 birth date differs; s29 expelled in the registry, studying in the journal;
- s30's СНИЛС in the journal has a wrong checksum (matched by ФИО + birth date + passport);
- «Е-услуги» expects x1 (nowhere in the journal, deadline passed) and x2 (= s05, present);
- ЕПГУ request r1 from parent p1, whose journal card lacks СНИЛС and passport.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from canonical.base import Platform
from canonical.normalize import make_snils
from emulators.scenario.world import World
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run

T0 = "2026-09-01T08:00:00+07:00"
T_ORDER = "2026-10-01T10:00:00+07:00"
MOMENT = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 10, 20)

LAST = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Фёдоров"]
FIRST = ["Иван", "Пётр", "Алексей", "Сергей", "Дмитрий", "Андрей", "Максим", "Егор"]


def student_rows() -> list[list[Any]]:
    rows: list[list[Any]] = []
    for i in range(1, 31):
        rows.append(
            [
                f"s{i:02d}",
                T0,
                LAST[i % 8] + ("а" if i % 2 else ""),
                FIRST[(i * 3) % 8],
                "Олегович",
                ["student"],
                f"2008-{1 + i % 12:02d}-{1 + i % 27:02d}",
                "male",
                make_snils(200_000_000 + i * 7919),
                "21",
                f"75{i:02d}",
                f"{500000 + i}",
            ]
        )
    rows.append(
        [
            "p1",
            T0,
            "Родителева",
            "Анна",
            "Петровна",
            ["parent"],
            "1980-05-05",
            "female",
            None,
            None,
            None,
            None,
        ]
    )
    return rows


def contingent_world() -> dict[str, Any]:
    person_cols = [
        "id",
        "created_at",
        "last_name",
        "first_name",
        "middle_name",
        "roles",
        "birth_date",
        "sex",
        "snils",
        "document_type",
        "document_series",
        "document_number",
    ]
    enrol_rows = [
        [f"e{i:02d}", T0, f"s{i:02d}", "g1", "studying", "2026-09-01", None, "1-к", "2026-08-25"]
        for i in range(1, 31)
    ]
    orders = [
        [
            f"mo{i:02d}",
            T_ORDER,
            f"s{i:02d}",
            "transfer",
            "45-к",
            "2026-10-01",
            "2026-10-02",
            "g1",
            "g2",
        ]
        for i in range(1, 26)
    ]
    edits = [["enrolment", f"e{i:02d}", T_ORDER, "group_id", "g2"] for i in range(1, 26)]
    views: list[dict[str, Any]] = []
    for i in range(1, 26):
        views.append(
            {
                "platform": "netschool",
                "kind": "movement_order",
                "id": f"mo{i:02d}",
                "field": "__absent__",
                "value": None,
            }
        )
        views.append(
            {
                "platform": "netschool",
                "kind": "enrolment",
                "id": f"e{i:02d}",
                "field": "group_id",
                "value": "g1",
            }
        )
    views += [
        {
            "platform": "contingent",
            "kind": "person",
            "id": "s26",
            "field": "__absent__",
            "value": None,
        },
        {
            "platform": "contingent",
            "kind": "enrolment",
            "id": "e26",
            "field": "__absent__",
            "value": None,
        },
        {
            "platform": "netschool",
            "kind": "person",
            "id": "s27",
            "field": "__absent__",
            "value": None,
        },
        {
            "platform": "netschool",
            "kind": "enrolment",
            "id": "e27",
            "field": "__absent__",
            "value": None,
        },
        {
            "platform": "contingent",
            "kind": "person",
            "id": "s28",
            "field": "birth_date",
            "value": "2007-12-31",
        },
        {
            "platform": "contingent",
            "kind": "enrolment",
            "id": "e29",
            "field": "status",
            "value": "expelled",
        },
        {
            "platform": "netschool",
            "kind": "person",
            "id": "s30",
            "field": "snils",
            "value": "112-233-445 96",
        },
        {
            "platform": "contingent",
            "kind": "person",
            "id": "p1",
            "field": "__absent__",
            "value": None,
        },
    ]
    return {
        "format": "sverka-scenario",
        "version": 1,
        "profile": "tpt",
        "timezone": "Asia/Tomsk",
        "tables": {
            "institution": {
                "columns": [
                    "id",
                    "created_at",
                    "profile_id",
                    "name",
                    "institution_kind",
                    "timezone",
                ],
                "rows": [
                    [
                        "inst",
                        T0,
                        "tpt",
                        "ОГБПОУ «Томский политехнический техникум»",
                        "college",
                        "Asia/Tomsk",
                    ]
                ],
            },
            "person": {"columns": person_cols, "rows": student_rows()},
            "group": {
                "columns": ["id", "created_at", "name", "group_kind", "course"],
                "rows": [
                    ["g1", T0, "ИС-21", "academic_group", 2],
                    ["g2", T0, "ИС-22", "academic_group", 2],
                ],
            },
            "enrolment": {
                "columns": [
                    "id",
                    "created_at",
                    "student_id",
                    "group_id",
                    "status",
                    "starts_on",
                    "ends_on",
                    "order_number",
                    "order_date",
                ],
                "rows": enrol_rows,
            },
            "movement_order": {
                "columns": [
                    "id",
                    "created_at",
                    "student_id",
                    "movement",
                    "number",
                    "order_date",
                    "effective_date",
                    "from_group_id",
                    "to_group_id",
                ],
                "rows": orders,
            },
            "parent_link": {
                "columns": ["id", "created_at", "parent_id", "child_id"],
                "rows": [["pl1", T0, "p1", "s03"]],
            },
        },
        "edits": {"columns": ["kind", "id", "at", "field", "value"], "rows": edits},
        "views": views,
    }


def _run(engine: Engine, source: str, deployment: str, snapshots: list[Snapshot]) -> int:
    run_id = start_run(engine, source, deployment=deployment, observed_at=MOMENT)
    result = ingest(engine, run_id, snapshots)
    finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=result.as_dict())
    return run_id


JOURNAL_KINDS = ("institution", "person", "group", "enrolment", "movement_order", "parent_link")


def ingest_world(engine: Engine, data: dict[str, Any] | None = None) -> World:
    """The journal (netschool), the registry, «Е-услуги» and ЕПГУ as the store would see them."""
    world = World.from_dict(data or contingent_world())
    moment = MOMENT
    journal = world.state_as_of(moment, "netschool")
    records = [
        r for k in JOURNAL_KINDS for r in journal.to_records(k, Platform.NETSCHOOL, "ns.test")
    ]
    _run(
        engine,
        "netschool",
        "ns.test",
        [Snapshot.of("netschool:ns.test:contingent", records, JOURNAL_KINDS)],
    )

    registry = world.state_as_of(moment, "contingent")
    reg_kinds = ("person", "group", "enrolment", "movement_order")
    reg_records = [
        r for k in reg_kinds for r in registry.to_records(k, Platform.CONTINGENT, "reg.test")
    ]
    feedback = _feedback()
    _run(
        engine,
        "contingent",
        "reg.test",
        [
            Snapshot.of("contingent:reg.test:students", reg_records, reg_kinds),
            Snapshot.of("contingent:reg.test:feedback", feedback, ("registry_feedback",)),
        ],
    )
    _run(
        engine,
        "e_uslugi",
        "eu.test",
        [Snapshot.of("e_uslugi:eu.test:expected", _expected(), ("expected_enrolment",))],
    )
    _run(
        engine,
        "epgu",
        "epgu.test",
        [Snapshot.of("epgu:epgu.test:requests", _requests(), ("epgu_request",))],
    )
    return world


def _feedback() -> list[Any]:
    from canonical import RegistryFeedback, SourceRef

    return [
        RegistryFeedback(
            source=SourceRef(
                platform=Platform.CONTINGENT, deployment="reg.test", external_id="fb1"
            ),
            message_id="m-1",
            student_id="s27",
            result="REJECTED",
            error_code="SNILS_CHECKSUM",
            field="SNILS",
            message="неверная контрольная сумма СНИЛС",
            received_at=dt.datetime(2026, 10, 10, 9, 0, tzinfo=dt.UTC),
        ),
        RegistryFeedback(
            source=SourceRef(
                platform=Platform.CONTINGENT, deployment="reg.test", external_id="fb2"
            ),
            message_id="m-2",
            student_id="s05",
            result="ACCEPTED",
            received_at=dt.datetime(2026, 10, 10, 9, 0, tzinfo=dt.UTC),
        ),
    ]


def _expected() -> list[Any]:
    from canonical import ExpectedEnrolment, SourceRef

    def src(x: str) -> SourceRef:
        return SourceRef(platform=Platform.E_USLUGI, deployment="eu.test", external_id=x)

    rows = {r[0]: r for r in student_rows()}
    s05 = rows["s05"]
    return [
        ExpectedEnrolment(
            source=src("x1"),
            last_name="Новенькая",
            first_name="Мария",
            birth_date=dt.date(2009, 3, 3),
            group_name="ИС-21",
            expected_on=dt.date(2026, 10, 1),
        ),
        ExpectedEnrolment(
            source=src("x2"),
            last_name=s05[2],
            first_name=s05[3],
            middle_name=s05[4],
            birth_date=dt.date.fromisoformat(s05[6]),
            snils=s05[8],
            group_name="ИС-21",
            expected_on=dt.date(2026, 9, 1),
        ),
    ]


def _requests() -> list[Any]:
    from canonical import EpguRequest, SourceRef

    return [
        EpguRequest(
            source=SourceRef(platform=Platform.EPGU, deployment="epgu.test", external_id="r1"),
            order_id="1234567890",
            received_at=dt.datetime(2026, 10, 15, 3, 0, tzinfo=dt.UTC),
            applicant_last_name="Родителева",
            applicant_first_name="Анна",
            applicant_middle_name="Петровна",
            applicant_birth_date=dt.date(1980, 5, 5),
            child_last_name="Сидорова",
            child_first_name="Максим",
            period_from=dt.date(2026, 9, 1),
            period_to=dt.date(2027, 6, 30),
        )
    ]
