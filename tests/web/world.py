"""A small store for the web tests: two teachers, each with a mark outside the scale, and accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from canonical.base import Record
from emulators.serving import serve_in_thread
from policies.engine import run_check
from policies.profiles import load_profile
from tests.policies.store import rec, sync
from web.app import create_app
from web.users import Accounts, add_user, load, save

DAY = dt.date(2026, 10, 5)
PASSWORD = "пароль-для-теста"
ACCOUNTS = {
    "zavuch": ("deputy", None),
    "kotova": ("teacher", "T1"),
    "lee": ("teacher", "T2"),
    "operator": ("operator", None),
    "admin": ("admin", None),
}


def _mark(mark_id: str, lesson: str, value: str) -> Record:
    return rec(
        "mark",
        mark_id,
        student_id="S1",
        subject_id="S",
        group_id="G1",
        lesson_id=lesson,
        date=DAY,
        value=value,
        work_kind_name="Ответ на уроке",
    )


def build_store(engine: Engine) -> None:
    """Two teachers' lessons in one group; each teacher set a mark outside the scale."""
    people = [
        rec(
            "person",
            "T1",
            last_name="Котова",
            first_name="Ольга",
            middle_name="Ивановна",
            roles=("teacher",),
        ),
        rec(
            "person",
            "T2",
            last_name="Ли",
            first_name="Виктор",
            middle_name="Сергеевич",
            roles=("teacher",),
        ),
    ]
    structure = [
        rec(
            "institution",
            "I",
            name="ГБОУ «Школа № 1»",
            institution_kind="school",
            profile_id="kpgt",
            timezone="Asia/Yekaterinburg",
        ),
        rec("group", "G1", name="7А", group_kind="class"),
        *people,
    ]
    journal = [
        rec(
            "lesson", "L1", group_id="G1", subject_id="S", teacher_id="T1", date=DAY, topic="Дроби"
        ),
        rec(
            "lesson",
            "L2",
            group_id="G1",
            subject_id="S",
            teacher_id="T2",
            date=DAY,
            topic="Степени",
        ),
        _mark("M1", "L1", "5+"),
        _mark("M2", "L2", "6"),
    ]
    sync(
        engine,
        dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC),
        {"structure": structure, "journal": journal},
    )
    run_check(engine, load_profile("kpgt"), full=True)


def make_accounts(path: Path) -> Accounts:
    accounts = load(path)
    for login, (role, person) in ACCOUNTS.items():
        add_user(accounts, login, role, PASSWORD, person=person)
    save(accounts)
    return accounts


@contextmanager
def running(engine: Engine, accounts: Accounts) -> Iterator[str]:
    """The real app on a loopback port; yields its base URL."""
    url, server, thread = serve_in_thread(
        create_app(engine, accounts), 0, "sverka-web-test", "веб-сервер Сверки не запустился"
    )
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(5)


def build_contingent_store(engine: Engine) -> int:
    """The reconciliation world (students, the registry), a failed СМЭВ push, and a held run.

    The held run is a later journal pull that lost every enrolment: the mass-change
    guard stages it for the administrator instead of applying it.  Returns its id.
    """
    from canonical.base import Platform
    from emulators.scenario.world import World
    from local_store import outbox
    from local_store.hold import guarded_ingest
    from local_store.ingest import Snapshot
    from local_store.reconcile import reconcile
    from local_store.runs import start_run
    from pipelines.smev3.channels import MOVEMENT
    from tests.reconcile.worlds import JOURNAL_KINDS, MOMENT, TODAY, contingent_world, ingest_world

    ingest_world(engine)
    reconcile(engine, at=MOMENT, today=TODAY)
    with engine.begin() as conn:
        outbox.enqueue(
            conn,
            outbox.NewItem(
                channel=MOVEMENT,
                deployment="reg.test",
                event_key="movement-1",
                message_id="00000000-0000-0000-0000-000000000001",
                operation="SendMovement",
            ),
            now=MOMENT,
        )
        item = outbox.by_message_id(conn, "00000000-0000-0000-0000-000000000001")
        assert item is not None
        outbox.mark_failed(
            conn, item.id, "реестр отклонил: неверная контрольная сумма СНИЛС", now=MOMENT
        )
    journal = World.from_dict(contingent_world()).state_as_of(MOMENT, "netschool")
    kinds = tuple(k for k in JOURNAL_KINDS if k != "enrolment")
    records = [r for k in kinds for r in journal.to_records(k, Platform.NETSCHOOL, "ns.test")]
    run_id = start_run(
        engine, "netschool", deployment="ns.test", observed_at=MOMENT + dt.timedelta(hours=1)
    )
    held = guarded_ingest(
        engine, run_id, [Snapshot.of("netschool:ns.test:contingent", records, JOURNAL_KINDS)]
    )
    assert held.held, "the lost enrolments must be held"
    return run_id
