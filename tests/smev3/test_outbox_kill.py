"""SIGKILL the delivering process at random points; after a restart every event arrives once.

Each trial: a fresh store (a copy of one seeded SQLite file) and a fresh
emulator; the push runs as a separate process, killed with SIGKILL when the
registry has received a random number of events (plus a random delay, so
kills also land between sending and storing, during feedback, before Ack);
a second process then finishes the job.  The registry bot counts every
delivery of every RecordId.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from emulators.smev3.app import build, create_app, running
from emulators.smev3.broker import BrokerConfig
from local_store import outbox
from local_store.engine import make_engine, migrate
from local_store.history import records_as_of
from tests.conftest import BACKENDS, _fresh_pg
from tests.smev3.conftest import Running, seed_journal
from tests.smev3.worlds import NOW, ORG, small_world

ROOT = Path(__file__).resolve().parents[2]
TRIALS = int(os.environ.get("SVERKA_KILL_TRIALS", "20"))
PG_TRIALS = int(os.environ.get("SVERKA_KILL_TRIALS_PG", "3"))
EXTRA_ORDERS = 5
EVENTS = 5 + EXTRA_ORDERS


def _template(tmp_path: Path) -> Path:
    path = tmp_path / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    seed_journal(engine, small_world(EXTRA_ORDERS))
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


class Zygote:
    """The warm parent of the delivering processes (``tests.smev3.push_worker``)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.smev3.push_worker"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, db_url: str, url: str, via: str = "") -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{db_url} {url} {ORG} {via}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().split()
        assert line[0] == "started", line
        return int(line[1])

    def wait(self, pid: int) -> int:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        assert line[:2] == ["exit", str(pid)], line
        return int(line[2])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _receipts(smev: Running) -> dict[str, int]:
    return smev.control("GET", "registry")["receipts"]  # type: ignore[no-any-return]


def _trials(stores: Iterator[str], trials: int, transport: str = "smev") -> None:
    """Run ``trials`` kill-and-restart rounds, each on the next fresh store URL.

    ``transport="adapter"``: the worker goes through the emulated «Адаптер СМЭВ».
    """
    rng = random.Random(20261123)
    kills_during_work = 0
    zygote = Zygote()
    try:
        for trial in range(trials):
            db_url = next(stores)
            emulator = build(
                small_world(EXTRA_ORDERS),
                as_of=NOW,
                org_code=ORG,
                config=BrokerConfig(signature="mock"),
            )
            with running(create_app(emulator)) as url:
                smev = Running(emulator, url)
                target = rng.randrange(0, EVENTS)
                delay = rng.uniform(0.0, 0.15)
                school = emulator.broker.config.school
                address, via = (
                    (f"{url}/adapter/ws", f"adapter {school}")
                    if transport == "adapter"
                    else (smev.smev, "")
                )
                pid = zygote.start(db_url, address, via)
                deadline = time.monotonic() + 60
                while _alive(pid) and time.monotonic() < deadline:
                    if sum(_receipts(smev).values()) >= target:
                        time.sleep(delay)
                        break
                    time.sleep(0.005)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
                    kills_during_work += 1
                first_code = zygote.wait(pid)
                assert first_code in (0, -signal.SIGKILL), (
                    f"trial {trial}: worker failed ({first_code})"
                )

                second = zygote.start(db_url, address, via)
                assert zygote.wait(second) == 0, f"trial {trial}: restarted worker failed"

                receipts = _receipts(smev)
                assert len(receipts) == EVENTS, f"trial {trial}: lost events {receipts}"
                assert set(receipts.values()) == {1}, f"trial {trial}: sent twice {receipts}"
                engine = make_engine(db_url)
                items = outbox.items(engine)
                assert len(items) == EVENTS
                feedback = len(records_as_of(engine, "registry_feedback"))
                # Through «Адаптер СМЭВ» too: an answer the killed process took but never
                # stored is found again (Find) by the restarted one.
                answered_only = {outbox.OutboxStatus.ANSWERED}
                assert {i.status for i in items} == answered_only, f"trial {trial}"
                assert feedback == EVENTS
                engine.dispose()
    finally:
        zygote.close()
    assert kills_during_work >= trials // 2, "most kills must land while the job is working"


def test_sigkill_during_delivery_never_loses_or_duplicates(tmp_path: Path) -> None:
    """SQLite: twenty trials, each on a copy of one seeded store file."""
    template = _template(tmp_path)

    def stores() -> Iterator[str]:
        for n in itertools.count():
            db = tmp_path / f"trial{n}.sqlite"
            shutil.copy(template, db)
            yield f"sqlite:///{db}"

    started = time.monotonic()
    _trials(stores(), TRIALS)
    assert time.monotonic() - started < 150


def test_sigkill_through_the_adapter_never_loses_or_duplicates(tmp_path: Path) -> None:
    """The same trials with «Адаптер СМЭВ» as the way in (fewer: the logic is shared)."""
    template = _template(tmp_path)

    def stores() -> Iterator[str]:
        for n in itertools.count():
            db = tmp_path / f"adapter{n}.sqlite"
            shutil.copy(template, db)
            yield f"sqlite:///{db}"

    _trials(stores(), TRIALS // 2, transport="adapter")


if "postgresql" in BACKENDS:

    def test_sigkill_on_postgresql(pg_server_url: str) -> None:
        """PostgreSQL: fewer trials (each store is migrated and seeded afresh)."""

        def stores() -> Iterator[str]:
            while True:
                engine = _fresh_pg(pg_server_url)
                migrate(engine)
                seed_journal(engine, small_world(EXTRA_ORDERS))
                url = engine.url.render_as_string(hide_password=False)
                engine.dispose()
                yield url

        _trials(stores(), PG_TRIALS)
