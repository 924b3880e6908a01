"""ЕПГУ e-diary applications end to end: the ЕПГУ bot sends, Sverka decides and answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree
from sqlalchemy import Engine

from canonical.journal import Mark
from canonical.requests import EpguRequest, EpguRequestStatus
from connectors.epgu.wire import parse_report
from emulators.scenario.world import World
from local_store import outbox
from local_store.history import records_as_of
from pipelines.local_files import import_local_file
from pipelines.smev3.common import EPGU_ANSWER
from pipelines.smev3.epgu import poll_epgu
from policies.epgu import REFUSE_NOT_REPRESENTATIVE
from tests.smev3.conftest import JOURNAL, Running, seed_journal
from tests.smev3.worlds import NOW, world_dict

ED = "urn://sverka/epgu/edu-diary/1.0"


def _answers(smev: Running) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    grouped: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for answer in smev.control("GET", "epgu")["answers"]:
        grouped.setdefault(answer["order_id"], []).append(answer)
    return grouped


async def test_applications_are_decided_and_answered(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    assert smev.control("POST", "parties/epgu/send")["sent"] == 3
    report = await poll_epgu(engine, smev.options(profile="talmenka"), budget_seconds=20)
    assert (report.received, report.provided, report.refused) == (3, 1, 2)
    answers = _answers(smev)

    # Every application got two answers along its own ReplyTo: received, then final.
    for order in ("1001", "1002", "1003"):
        assert [a["status_code"] for a in answers[order]] == ["2", "3" if order == "1001" else "4"]
        assert all(a["to_matches"] for a in answers[order])

    # The valid parent gets exactly the store's marks, absences, homework and lessons.
    final = answers["1001"][1]
    diary = parse_report(etree.fromstring(final["report"].encode()))
    store_marks = [
        m
        for m in records_as_of(engine, "mark")
        if isinstance(m, Mark)
        and m.student_id == "s1"
        and m.date
        and dt.date(2026, 10, 1) <= m.date <= dt.date(2026, 10, 31)
    ]
    reported = sorted((m.date, m.value) for s in diary.subjects for m in s.marks)
    assert reported == sorted((m.date, m.value) for m in store_marks)
    assert {s.name for s in diary.subjects} == {"Математика", "Русский язык"}
    assert [(a.date, a.reason_code) for a in diary.absences] == [(dt.date(2026, 10, 13), "Б")]
    assert {h.text for h in diary.homework} == {"№ 12, 14", "Упр. 5"}
    assert [les.topic for les in diary.lessons] == ["Дроби", "Суффиксы", "Сложение дробей"]
    assert diary.class_name == "5А"

    # Someone else's child: refused, and nothing about the child is said.
    other = answers["1002"][1]
    assert other["report"] is None
    assert other["comment"] == REFUSE_NOT_REPRESENTATIVE
    for leak in ("Петрова", "Анна", "5А", "Математика", "2014"):
        assert leak not in (other["comment"] or "")

    # The parent without СНИЛС is refused with the reason.
    no_snils = answers["1003"][1]
    assert no_snils["report"] is None
    assert "СНИЛС" in no_snils["comment"] and "1.6" in no_snils["comment"]

    stored = {
        r.order_id: r for r in records_as_of(engine, "epgu_request") if isinstance(r, EpguRequest)
    }
    assert stored["1001"].status is EpguRequestStatus.ANSWERED
    assert stored["1002"].status is EpguRequestStatus.REFUSED
    assert stored["1003"].status is EpguRequestStatus.REFUSED
    assert "СНИЛС" in (stored["1003"].status_reason or "")
    assert all(r.deadline is not None and r.deadline > r.received_at for r in stored.values())
    assert {i.status for i in outbox.items(engine, channel=EPGU_ANSWER)} == {
        outbox.OutboxStatus.DELIVERED
    }


async def test_polling_again_answers_nothing_twice(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    smev.control("POST", "parties/epgu/send")
    await poll_epgu(engine, smev.options(), budget_seconds=20)
    again = await poll_epgu(engine, smev.options(), budget_seconds=5)
    assert again.received == 0
    assert len(smev.control("GET", "epgu")["answers"]) == 6


async def test_application_redelivered_after_a_failed_ack_is_answered_once(
    engine: Engine, smev: Running, world: World
) -> None:
    """The decision is stored but the Ack fails: the redelivered application is only acked."""
    seed_journal(engine, world)
    smev.control("POST", "parties/epgu/send")
    smev.control("POST", "faults", json={"fault": "SMEVFailure", "operation": "Ack", "count": 1})
    report = await poll_epgu(engine, smev.options(), budget_seconds=10)
    assert report.received == 3
    assert report.ack_failures == 1 and report.duplicates == 1
    assert len(smev.control("GET", "epgu")["answers"]) == 6
    school_queue = smev.control("GET", "state")["queues"]["SVERKA01"]
    assert school_queue and all(m["acked"] for m in school_queue)


async def test_a_parent_card_completed_from_the_institutions_file_is_served(
    engine: Engine, smev: Running, tmp_path: Path
) -> None:
    """NetSchool keeps no parent's birth date, СНИЛС or passport; the institution's own file
    does, under the journal's id.  The decision joins the two, so the parent gets the diary."""
    data = world_dict()
    people = data["tables"]["person"]
    cols = people["columns"]
    row = next(r for r in people["rows"] if r[0] == "p1")
    full = dict(zip(cols, row, strict=True))
    for field in ("birth_date", "sex", "snils", "document_type", "document_series"):
        row[cols.index(field)] = None
    row[cols.index("document_number")] = None
    row[cols.index("document_issued_on")] = None
    seed_journal(engine, World.from_dict(data))
    smev.control("POST", "parties/epgu/send")

    own = tmp_path / "person.csv"
    columns = ["id", "last_name", "first_name", "middle_name", "roles", "birth_date", "sex"]
    columns += ["snils", "document_type", "document_series", "document_number"]
    values = {**full, "roles": "parent"}
    own.write_text(
        ";".join(columns) + "\n" + ";".join(str(values[c]) for c in columns) + "\n",
        encoding="utf-8",
    )
    import_local_file(engine, own, "person", deployment=f"local:{JOURNAL}", observed_at=NOW)

    report = await poll_epgu(engine, smev.options(profile="talmenka"), budget_seconds=20)
    assert report.received == 3
    stored = {
        r.order_id: r for r in records_as_of(engine, "epgu_request") if isinstance(r, EpguRequest)
    }
    assert stored["1001"].status is EpguRequestStatus.ANSWERED, stored["1001"].status_reason
    # someone else's child stays refused: the file adds values, not links
    assert stored["1002"].status is EpguRequestStatus.REFUSED


async def test_without_the_institutions_file_the_same_parent_is_refused(
    engine: Engine, smev: Running
) -> None:
    data = world_dict()
    people = data["tables"]["person"]
    cols = people["columns"]
    row = next(r for r in people["rows"] if r[0] == "p1")
    for field in ("birth_date", "snils"):
        row[cols.index(field)] = None
    seed_journal(engine, World.from_dict(data))
    smev.control("POST", "parties/epgu/send")
    await poll_epgu(engine, smev.options(profile="talmenka"), budget_seconds=20)
    stored = {
        r.order_id: r for r in records_as_of(engine, "epgu_request") if isinstance(r, EpguRequest)
    }
    assert stored["1001"].status is EpguRequestStatus.REFUSED
