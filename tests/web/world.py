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
