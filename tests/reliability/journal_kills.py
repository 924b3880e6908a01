"""kill -9 trials of the journal sync pipelines (ЭлЖур, NetSchool, «Модуль ПОО»): a child
process syncs a generated school or college from its emulator and dies at a random write; the store is
then opened as a user would (the dead run is marked interrupted) and synced again, and must
equal a store synced once without interruption.  Shared by ``tests/reliability`` (one trial)
and ``benchmarks/chaos.py`` (many, on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from canonical.registry import RECORD_TYPES
from emulators.scenario.world import World

ROOT = Path(__file__).resolve().parents[2]
KINDS = tuple(RECORD_TYPES)

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


PROFILES = {"eljur": ("mazanka", 30), "netschool": ("talmenka", 30), "poo": ("tpt", 30)}
"""The generated institution each platform's trials sync: profile and students (two weeks)."""


def sync_once(engine: Engine, settings: dict[str, Any]) -> str:
    """One full sync of the emulator at ``settings["url"]``; the run's status."""
    platform = settings.get("platform", "eljur")
    if platform == "netschool":
        return _sync_netschool(engine, settings)
    if platform == "poo":
        return _sync_poo(engine, settings)
    return _sync_eljur(engine, settings)


def _sync_eljur(engine: Engine, settings: dict[str, Any]) -> str:
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
        client=ClientSettings(
            class_pause=0.0,
            backoff=0.01,
            max_wait=0.05,
            timeout=float(settings.get("timeout", 10.0)),
            attempts=int(settings.get("attempts", 5)),
        ),
    )
    outcome = sync_eljur(engine, config, DEFAULT_DEVKEY, settings["password"], full=True)
    return outcome.status.value


def _sync_netschool(engine: Engine, settings: dict[str, Any]) -> str:
    from connectors.netschool.client import ClientSettings
    from pipelines.netschool import NetSchoolConfig, sync_netschool
    from pipelines.window import Incremental

    config = NetSchoolConfig(
        base_url=settings["url"],
        deployment="netschool.chaos.test",
        school_id=int(settings["school_id"]),
        login=settings["login"],
        timezone=settings["timezone"],
        profile_id="talmenka",
        window=Incremental.last_weeks(3),  # the scenario's two weeks, not the empty year
        client=ClientSettings(
            backoff_initial=0.01,
            backoff_max=0.05,
            timeout=float(settings.get("timeout", 10.0)),
            attempts=int(settings.get("attempts", 5)),
        ),
    )
    outcome = sync_netschool(engine, config, settings["password"])
    return outcome.status.value


def _sync_poo(engine: Engine, settings: dict[str, Any]) -> str:
    import asyncio

    from connectors.poo.errors import PooError
    from connectors.poo.profiles import Deployment
    from pipelines.poo import PooSyncConfig, run_poo_sync

    config = PooSyncConfig(
        deployment=Deployment("chaos", "", settings["url"], settings["timezone"], "spo_1"),
        login=settings["login"],
        password=settings["password"],
        profile_id="tpt",
        pause=0.0,
        timeout=float(settings.get("timeout", 10.0)),
        attempts=int(settings.get("attempts", 5)),
        backoff=0.01,
    )
    as_of = dt.datetime.fromisoformat(settings["as_of"])
    try:
        outcome = asyncio.run(run_poo_sync(engine, config, as_of=as_of, whole_year=True))
    except PooError:
        return "failed"  # the run is recorded failed, with the reason, by the pipeline
    return outcome.status.value


@functools.cache
def world_of(platform: str, students: int = 0) -> tuple[World, dt.datetime]:
    """The platform's small generated institution (two weeks; ``students`` or the
    platform's default) and the moment its emulator serves.  Generated once per process:
    the emulators only read the world."""
    from emulators.scenario.generate import generate

    profile, default = PROFILES[platform]
    world = World.from_dict(generate(profile, students or default, 2, 1))
    end = dt.datetime.fromisoformat(str(world.meta["lessons_until"]))
    return world, end - dt.timedelta(days=5, hours=3)


@dataclass
class Served:
    """A running emulator: the sync's settings (JSON, for a child process) and a way to
    clear its fault knobs."""

    settings: dict[str, Any]
    reset: Callable[[], None]
    requests: Callable[[], int]
    """Requests the emulator received so far, those a fault knob answered included."""


@contextmanager
def serving(
    platform: str, world: World, as_of: dt.datetime, faults: dict[str, Any] | None = None
) -> Iterator[Served]:
    """The platform's emulator on loopback, serving ``world`` at ``as_of`` with the fault
    knobs ``faults`` set from its first request."""
    deputy = next(
        a
        for a in world.accounts
        if a["role"] == "deputy" and a.get("platform", platform) == platform
    )
    settings: dict[str, Any] = {
        "platform": platform,
        "login": str(deputy["login"]),
        "password": str(deputy["password"]),
        "timezone": world.timezone,
        "as_of": as_of.isoformat(),
    }
    knobs = faults or {}
    if platform == "poo":
        from emulators.poo import EmulatorConfig
        from emulators.poo import start_emulator as start_poo
        from emulators.poo.faults import Faults as PooFaults

        config = EmulatorConfig(world=world, as_of=as_of, tenant="spo_1", faults=PooFaults(**knobs))
        with start_poo(config) as poo:
            clean = PooFaults().as_dict()
            yield Served(
                {**settings, "url": poo.url},
                lambda: poo.emulator.faults.update(clean),
                lambda: poo.emulator.requests,
            )
    elif platform == "netschool":
        from emulators.netschool.faults import Faults as NsFaults
        from emulators.netschool.server import start_emulator as start_netschool

        with start_netschool(world, as_of=as_of, faults=NsFaults(**knobs)) as ns:
            school = ns.state.school().id
            yield Served(
                {**settings, "url": ns.url, "school_id": school}, ns.reset_faults, ns.requests
            )
    else:
        from emulators.eljur.faults import Faults as EjFaults
        from emulators.eljur.server import start_emulator as start_eljur

        with start_eljur(world, as_of=as_of, faults=EjFaults(**knobs)) as eljur:
            yield Served({**settings, "url": eljur.url}, eljur.reset_faults, eljur.requests)


def contents(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Every kind's current records as (deployment/external id, content hash)."""
    from local_store.history import records_as_of

    return {
        kind: sorted(
            (f"{r.source.deployment}/{r.source.external_id}", r.content_hash())
            for r in records_as_of(engine, kind)
        )
        for kind in KINDS
    }


def kill_trials(
    trials: int, make_url: Callable[[str], str], seed: int = 1, platform: str = "eljur"
) -> Counter[str]:
    """``trials`` killed syncs of ``platform`` (eljur, netschool, poo), each followed by a
    plain one; compared with a store synced once without interruption."""
    from local_store.engine import make_engine, migrate, open_store
    from local_store.schema import sync_run

    world, as_of = world_of(platform)
    rng = random.Random(seed)
    seen: Counter[str] = Counter()
    template = make_url("template")
    blank = make_engine(template)
    migrate(blank)
    blank.dispose()

    def prepared(url: str) -> None:
        """A migrated empty store at ``url``: a copy of the template file on SQLite (the
        migrations take seconds on a loaded machine), migrated afresh on PostgreSQL."""
        if url.startswith("sqlite:///") and template.startswith("sqlite:///"):
            shutil.copyfile(template.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
            return
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()

    with serving(platform, world, as_of) as served:
        settings = served.settings
        reference_url = make_url("reference")
        prepared(reference_url)
        reference = make_engine(reference_url)
        writes = _count_writes(reference)
        if sync_once(reference, settings) != "succeeded":
            raise RuntimeError(f"the uninterrupted {platform} sync failed")
        want = contents(reference)
        reference.dispose()
        for trial in range(trials):
            url = make_url(f"j{trial}")
            prepared(url)
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
            got = contents(engine)
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
