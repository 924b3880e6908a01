"""kill -9 trials of the СМЭВ pulls (``poll_epgu``: ЕПГУ e-diary applications;
``sync_contingent``: the registry's view; ``sync_e_uslugi``: «Е-услуги» enrolment notices).

A child process runs the pull against the СМЭВ emulator on loopback and kills itself at a
random *step*: a write statement to the store, or the moment СМЭВ has answered a call (an
application taken, an answer accepted, an Ack done) before the store learnt of it.  The store
is then opened as the next command would (the dead run marked interrupted), the pull runs
again, and the result must equal a run never interrupted: the same records in the store, every
ЕПГУ answer or «Е-услуги» receipt delivered once (none twice, none missing), every message
СМЭВ was told was taken (acknowledged) stored, nothing left pending in the outbox.  Shared by
``tests/reliability`` (a few trials) and ``benchmarks/chaos.py`` (many, SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
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
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from emulators.scenario.world import World
from tests.reliability.journal_kills import contents, world_of

ROOT = Path(__file__).resolve().parents[2]
JOBS = ("epgu", "contingent", "e_uslugi", "epgu_adapter", "e_uslugi_adapter")
"""The pulls tried: each straight to СМЭВ, and the incoming ones also through «Адаптер СМЭВ»,
which hands a message over once (a message taken by the killed process is found again)."""
DEPLOYMENT = "smev.chaos"


@functools.cache
def smev_world() -> tuple[World, dt.datetime]:
    """The generated talmenka school of the NetSchool trials, at its scenario's end: every
    ЕПГУ application and «Е-услуги» notice of the scenario is due by then."""
    world, _ = world_of("netschool")
    return world, dt.datetime.fromisoformat(str(world.meta["ends_at"]))


def options(settings: dict[str, Any]) -> Any:
    """The pull's СМЭВ options: quick backoff, and the data time fixed to the scenario's
    moment, so a killed-and-rerun store and an uninterrupted one date everything alike."""
    from pipelines.smev3.common import Smev3Options

    moment = dt.datetime.fromisoformat(settings["as_of"])
    return Smev3Options(
        url=settings["url"],
        transport=settings.get("transport", "smev"),
        mnemonic=settings.get("mnemonic"),
        org_code=settings["org_code"],
        deployment=DEPLOYMENT,
        timezone=settings["timezone"],
        profile="talmenka",
        backoff_base=0.01,
        backoff_cap=0.05,
        timeout=10.0,
        data_clock=lambda: moment,
    )


def pull_once(engine: Engine, settings: dict[str, Any]) -> None:
    """One run of the job ``settings["job"]`` against the emulator at ``settings["url"]``."""
    from pipelines.smev3.contingent import sync_contingent
    from pipelines.smev3.epgu import poll_epgu, sync_e_uslugi

    job, opts = settings["job"].removesuffix("_adapter"), options(settings)
    if job == "epgu":
        asyncio.run(poll_epgu(engine, opts, budget_seconds=10))
    elif job == "e_uslugi":
        asyncio.run(sync_e_uslugi(engine, opts, budget_seconds=10))
    else:
        moment = dt.datetime.fromisoformat(settings["as_of"])
        asyncio.run(sync_contingent(engine, opts, observed_at=moment))


def _arm(engine: Engine, kill_at: int) -> tuple[list[int], Callable[[], None]]:
    """Count the pull's steps (writes to the store, answered СМЭВ calls); with ``kill_at``
    > 0, SIGKILL this process at that step.  Returns the count and a way to stop counting."""
    from sqlalchemy import event

    from connectors.smev3.client import _LocalTransport

    seen = [0]

    def step() -> None:
        seen[0] += 1
        if kill_at and seen[0] >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    @event.listens_for(engine, "after_cursor_execute")
    def _write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            step()

    post = _LocalTransport.post

    async def answered(self: Any, address: str, message: bytes, headers: dict[str, str]) -> Any:
        response = await post(self, address, message, headers)
        step()  # СМЭВ has done it; the store does not know yet
        return response

    _LocalTransport.post = answered  # type: ignore[method-assign]

    def undo() -> None:
        _LocalTransport.post = post  # type: ignore[method-assign]
        event.remove(engine, "after_cursor_execute", _write)

    return seen, undo


def child(url: str, kill_at: int, settings: dict[str, Any]) -> None:
    """The killed process: the pull, dying at step ``kill_at``."""
    from local_store.engine import make_engine

    engine = make_engine(url)
    _arm(engine, kill_at)
    pull_once(engine, settings)


@contextmanager
def serving(job: str) -> Iterator[tuple[dict[str, Any], Callable[[], dict[str, Any]]]]:
    """A fresh СМЭВ emulator for one run, its parties' messages queued; yields the pull's
    settings and what the emulator saw (answers, receipts, the school's queue)."""
    from emulators.smev3.app import build, create_app, running
    from emulators.smev3.broker import BrokerConfig

    world, end = smev_world()
    org = str(world.meta["institution_id"])
    emulator = build(world, as_of=end, org_code=org, config=BrokerConfig(signature="mock"))
    if job.startswith("epgu"):
        emulator.epgu.send_due(emulator.broker, end)
    elif job.startswith("e_uslugi"):
        emulator.e_uslugi.send_due(emulator.broker, end)
    settings = {
        "job": job,
        "org_code": org,
        "timezone": world.timezone,
        "as_of": end.isoformat(),
    }

    def seen() -> dict[str, Any]:
        queue = [
            {"kind": m.kind, "acked": m.acked}
            for messages in emulator.broker.queues.values()
            for m in messages
            if m.kind == "REQUEST"
        ]
        return {
            "answers": [
                (a["order_id"], a["status_code"], a["comment"], a["report"], a["rejected"])
                for a in emulator.epgu.answers
            ],
            "receipts": [
                json.dumps(r, sort_keys=True, default=str) for r in emulator.e_uslugi.receipts
            ],
            "requests": queue,
        }

    with running(create_app(emulator)) as base:
        if job.endswith("_adapter"):
            school = emulator.broker.config.school
            way = {"url": f"{base}/adapter/ws", "transport": "adapter", "mnemonic": school}
            yield {**settings, **way}, seen
        else:
            yield {**settings, "url": f"{base}/smev"}, seen


def seed(engine: Engine) -> None:
    """The school's journal as a NetSchool sync would have left it (what ЕПГУ is decided on)."""
    from tests.smev3.conftest import seed_journal

    world, end = smev_world()
    seed_journal(engine, world, end)


def _compare(
    seen: Counter[str],
    got: dict[str, list[tuple[str, str]]],
    want: dict[str, list[tuple[str, str]]],
) -> None:
    for kind, wanted_pairs in want.items():
        ids = [i for i, _ in got[kind]]
        wanted = dict(wanted_pairs)
        seen["lost"] += len(set(wanted) - set(ids))
        seen["extra"] += len(set(ids) - set(wanted))
        seen["duplicated"] += len(ids) - len(set(ids))
        seen["half_written"] += sum(1 for i, h in got[kind] if i in wanted and wanted[i] != h)
        seen["records_compared"] += len(wanted)


def _compare_exchange(seen: Counter[str], got: dict[str, Any], want: dict[str, Any]) -> None:
    """What the parties received: each answer (receipt) once, as the uninterrupted run sent it;
    every application (notice) taken is acknowledged."""
    for key in ("answers", "receipts"):
        have, wanted = Counter(map(str, got[key])), Counter(map(str, want[key]))
        seen["sent_twice"] += sum(max(0, n - wanted[k]) for k, n in have.items() if k in wanted)
        seen["answers_extra"] += sum(n for k, n in have.items() if k not in wanted)
        seen["answers_missing"] += sum(max(0, n - have[k]) for k, n in wanted.items())
        seen["answers_compared"] += sum(wanted.values())
    seen["not_acknowledged"] += sum(1 for m in got["requests"] if not m["acked"])


def kill_trials(
    trials: int, make_url: Callable[[str], str], seed_no: int = 1, job: str = "epgu"
) -> Counter[str]:
    """``trials`` killed runs of ``job`` (one of :data:`JOBS`), each followed by a plain one,
    compared with a run never interrupted."""
    from local_store import outbox
    from local_store.engine import make_engine, migrate, open_store
    from local_store.schema import sync_run

    rng = random.Random(seed_no)
    seen: Counter[str] = Counter()
    template = make_url(f"{job}-template")
    blank = make_engine(template)
    migrate(blank)
    seed(blank)
    blank.dispose()

    def prepared(url: str) -> None:
        """A copy of the seeded template on SQLite; migrated and seeded afresh on PostgreSQL."""
        if url.startswith("sqlite:///") and template.startswith("sqlite:///"):
            shutil.copyfile(template.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
            return
        engine = make_engine(url)
        migrate(engine)
        seed(engine)
        engine.dispose()

    reference_url = make_url(f"{job}-reference")
    prepared(reference_url)
    reference = make_engine(reference_url)
    with serving(job) as (settings, exchange):
        steps, undo = _arm(reference, 0)
        try:
            pull_once(reference, settings)
        finally:
            undo()
        want_exchange = exchange()
    want = contents(reference)
    reference.dispose()
    if job.startswith("epgu") and not any(a[3] for a in want_exchange["answers"]):
        raise RuntimeError("the uninterrupted ЕПГУ run served no diary: nothing to compare")
    for trial in range(trials):
        url = make_url(f"{job}-k{trial}")
        prepared(url)
        kill_at = rng.randint(1, max(2, steps[0]))
        with serving(job) as (settings, exchange):
            died = subprocess.run(
                [sys.executable, "-c", CHILD, url, str(kill_at), json.dumps(settings)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                timeout=600,
            )
            seen["trials"] += 1
            seen["killed" if died.returncode == -signal.SIGKILL else "finished"] += 1
            if died.returncode not in (0, -signal.SIGKILL):
                seen["child_failed"] += 1
            engine = open_store(url)  # as the next command would: marks the dead run
            with engine.connect() as conn:
                statuses = list(conn.execute(select(sync_run.c.status)).scalars())
            seen["left_running"] += sum(1 for s in statuses if s == "running")
            try:
                pull_once(engine, settings)
            except Exception:  # counted: a rerun must never fail
                seen["rerun_failed"] += 1
            _compare_exchange(seen, exchange(), want_exchange)
        _compare(seen, contents(engine), want)
        seen["outbox_unfinished"] += sum(
            1
            for item in outbox.items(engine)
            if item.status not in (outbox.OutboxStatus.DELIVERED, outbox.OutboxStatus.ANSWERED)
        )
        engine.dispose()
    return seen


CHILD = """
import json, sys
from tests.reliability.smev_kills import child
child(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]))
"""
