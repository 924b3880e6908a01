"""kill -9 trials of a journal sync pipeline (ЭлЖур, one transaction per class): a child
process syncs a generated school from the emulator and dies at a random write; the store is
then opened as a user would (the dead run is marked interrupted) and synced again, and must
equal a store synced once without interruption.  Shared by ``tests/reliability`` (one trial)
and ``benchmarks/chaos.py`` (many, on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("person", "group", "subject", "lesson", "homework", "mark", "absence", "period")

CHILD = """
import json, os, signal, sys
from sqlalchemy import event
from local_store.engine import make_engine
from tests.reliability.journal_kills import sync_once
url, kill_at, settings = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
engine = make_engine(url)
seen = 0
@event.listens_for(engine, "after_cursor_execute")
def _die(conn, cursor, statement, *args):
    global seen
    if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
        seen += 1
        if seen >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
sync_once(engine, settings)
"""


def sync_once(engine: Engine, settings: dict[str, Any]) -> str:
    """One full ЭлЖур sync of the emulator at ``settings["url"]``; the run's status."""
    from connectors.eljur.client import ClientSettings
    from emulators.eljur.app import DEFAULT_DEVKEY
    from pipelines.eljur import EljurConfig, sync_eljur

    config = EljurConfig(
        base_url=f"{settings['url']}/apiv3",
        vendor="mazanka",
        deployment="mazanka.eljur.ru",
        login=settings["login"],
        timezone=settings["timezone"],
        profile_id="mazanka",
        client=ClientSettings(class_pause=0.0, backoff=0.01, max_wait=0.05, timeout=10.0),
    )
    outcome = sync_eljur(engine, config, DEFAULT_DEVKEY, settings["password"], full=True)
    return outcome.status.value


def _contents(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    from local_store.history import records_as_of

    return {
        kind: sorted((r.source.external_id, r.content_hash()) for r in records_as_of(engine, kind))
        for kind in KINDS
    }


def kill_trials(trials: int, make_url: Callable[[str], str], seed: int = 1) -> Counter[str]:
    """``trials`` killed syncs, each followed by a plain one; compared with an unkilled store."""
    from emulators.eljur.server import start_emulator
    from emulators.scenario.generate import generate
    from emulators.scenario.world import World
    from local_store.engine import make_engine, migrate, open_store
    from local_store.schema import sync_run

    world = World.from_dict(generate("mazanka", 30, 2, 1))
    deputy = next(
        a for a in world.accounts if a["role"] == "deputy" and a.get("platform") == "eljur"
    )
    end = dt.datetime.fromisoformat(str(world.meta["lessons_until"]))
    rng = random.Random(seed)
    seen: Counter[str] = Counter()
    with start_emulator(world, as_of=end - dt.timedelta(days=5, hours=3)) as emu:
        settings = {
            "url": emu.url,
            "login": str(deputy["login"]),
            "password": str(deputy["password"]),
            "timezone": world.timezone,
        }
        reference = make_engine(make_url("reference"))
        migrate(reference)
        writes = _count_writes(reference)
        sync_once(reference, settings)
        want = _contents(reference)
        reference.dispose()
        for trial in range(trials):
            url = make_url(f"j{trial}")
            prepared = make_engine(url)
            migrate(prepared)
            prepared.dispose()
            kill_at = rng.randint(1, max(2, writes[0]))
            died = subprocess.run(
                [sys.executable, "-c", CHILD, url, str(kill_at), json.dumps(settings)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                timeout=600,
            )
            seen["trials"] += 1
            seen["killed" if died.returncode == -signal.SIGKILL else "finished"] += 1
            engine = open_store(url)  # as the next command would: marks the dead run
            with engine.connect() as conn:
                statuses = list(conn.execute(select(sync_run.c.status)).scalars())
            seen["left_running"] += sum(1 for s in statuses if s == "running")
            if sync_once(engine, settings) != "succeeded":
                seen["resync_failed"] += 1
            got = _contents(engine)
            for kind in KINDS:
                ids = [i for i, _ in got[kind]]
                wanted = dict(want[kind])
                seen["lost"] += len(set(wanted) - set(ids))
                seen["extra"] += len(set(ids) - set(wanted))
                seen["duplicated"] += len(ids) - len(set(ids))
                seen["half_written"] += sum(
                    1 for i, h in got[kind] if i in wanted and wanted[i] != h
                )
                seen["records_compared"] += len(wanted)
            engine.dispose()
    return seen


def _count_writes(engine: Engine) -> list[int]:
    """A counter of the write statements ``engine`` runs: the range to kill in."""
    from sqlalchemy import event

    count = [0]

    @event.listens_for(engine, "after_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            count[0] += 1

    return count
