"""Full pull of a generated mazanka school from the ЭлЖур emulator, against a bare httpx fetch.

Generates a mazanka scenario, serves it with ``sverka emulate eljur`` in a
separate process (so client and server do not share a GIL), pulls the whole
school with the connector (auth, retries, per-host limit, envelope and wire
validation), maps it to canonical records and ingests them into a temporary
SQLite store.  Then it fetches exactly the same URLs again, in the same order,
with a plain ``httpx.AsyncClient`` (one ``auth``, no validation) and prints
requests, records per second and the ratio of the two fetch times.

    .venv/bin/python benchmarks/eljur_pull.py --students 300 --weeks 8
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from connectors.eljur.client import ClientSettings, EljurClient
from connectors.eljur.pull import pull_diaries, pull_schedule, pull_structure
from connectors.eljur.wire import ClassJournal, SchoolStructure
from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.scenario.generate import generate
from local_store.engine import make_engine, migrate
from local_store.ingest import Snapshot, ingest
from local_store.runs import start_run
from mapping.eljur import Source, lesson_index, map_class_journal, map_structure
from pipelines.eljur import STRUCTURE_KINDS, class_snapshots
from pipelines.window import monday

ROOT = Path(__file__).resolve().parents[1]
VENDOR = "mazanka"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("эмулятор не запустился")
        try:
            httpx.get(url + "/_emulator/stats", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("эмулятор не ответил за минуту")


async def _connector_pull(
    api: str, login: str, password: str, window: tuple[dt.date, dt.date]
) -> tuple[SchoolStructure, list[ClassJournal], list[str], float, int]:
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        if not request.url.path.endswith("/auth"):
            seen.append(str(request.url))

    settings = ClientSettings(class_pause=0.0)
    client = EljurClient(api, VENDOR, DEFAULT_DEVKEY, login, password, settings=settings)
    started = time.perf_counter()
    async with client:
        assert client._http is not None
        client._http.event_hooks["request"].append(record)
        structure = await pull_structure(client)
        # as the pipeline: every timetable first, then each class's diaries and period marks
        schedules = {c: await pull_schedule(client, c, window) for c in structure.classes()}
        journals = [
            await pull_diaries(client, structure, c, window, schedules[c])
            for c in structure.classes()
        ]
    return structure, journals, seen, time.perf_counter() - started, client.requests


async def _bare_fetch(api: str, login: str, password: str, urls: list[str]) -> float:
    """One ``auth``, then the same URLs in the same order with the fresh token."""
    async with httpx.AsyncClient() as bare:
        started = time.perf_counter()
        answer = await bare.post(
            f"{api}/auth",
            data={"devkey": DEFAULT_DEVKEY, "vendor": VENDOR, "login": login, "password": password},
        )
        token = answer.json()["response"]["result"]["token"]
        for target in urls:
            url = httpx.URL(target)
            params = dict(url.params)
            params["auth_token"] = token
            response = await bare.get(url.copy_with(query=None), params=params)
            response.raise_for_status()
            json.loads(response.content)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    data = generate("mazanka", args.students, args.weeks, args.seed)
    deputy = next(a for a in data["accounts"] if a.get("role") == "deputy")
    moment = str(data["lessons_until"])
    tz = str(data["timezone"])
    tmp = Path(tempfile.mkdtemp(prefix="sverka-bench-"))
    scenario = tmp / "mazanka.json"
    scenario.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    api = f"{url}/apiv3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "emulate", "eljur", "--scenario", str(scenario),
         "--port", str(port), "--as-of", moment],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    start = dt.date.fromisoformat(str(data["starts_at"])[:10])
    end = dt.date.fromisoformat(moment[:10])
    window = (monday(start), monday(end) + dt.timedelta(days=6))
    try:
        _wait(url, proc)
        # The emulator renders the school once per clock moment: do it before timing anything.
        httpx.post(f"{api}/auth", data={"devkey": DEFAULT_DEVKEY, "vendor": VENDOR}, timeout=120)
        structure, journals, seen, fetch_s, requests = asyncio.run(
            _connector_pull(api, deputy["login"], deputy["password"], window)
        )
        source = Source(str(data["platform"]["deployment"]), tz, "mazanka")
        base = f"eljur:{source.deployment}"
        started = time.perf_counter()
        snapshots = [
            Snapshot.of(
                f"{base}:structure", map_structure(structure, source).records, STRUCTURE_KINDS
            )
        ]
        catalog: set[str] = set()
        lessons = lesson_index({j.class_name: j.schedule for j in journals})
        for journal in journals:
            mapped = map_class_journal(journal, structure, source, lessons)
            snapshots += class_snapshots(base, journal.class_name, window, mapped, catalog)
        map_s = time.perf_counter() - started
        records = sum(len(s.records) for s in snapshots)
        engine = make_engine(f"sqlite:///{tmp / 'store.sqlite'}")
        migrate(engine)
        run_id = start_run(
            engine,
            "eljur",
            deployment=source.deployment,
            observed_at=dt.datetime.fromisoformat(moment),
        )
        started = time.perf_counter()
        ingest(engine, run_id, snapshots)
        ingest_s = time.perf_counter() - started
        bare_s = asyncio.run(_bare_fetch(api, deputy["login"], deputy["password"], seen))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"scenario: mazanka, {args.students} students, {args.weeks} weeks, as of {moment}")
    print(f"connector requests: {requests} (replayed after one auth: {len(seen)})")
    print(f"records: {records} in {len(snapshots)} scopes")
    print(f"connector fetch: {fetch_s:.2f} s ({requests / fetch_s:.0f} req/s)")
    print(f"mapping: {map_s:.2f} s; ingest (SQLite): {ingest_s:.2f} s")
    print(
        f"records/s, fetch + mapping: {records / (fetch_s + map_s):.0f}; "
        f"end to end with ingest: {records / (fetch_s + map_s + ingest_s):.0f}"
    )
    print(f"bare httpx fetch of the same {len(seen)} requests (+1 auth): {bare_s:.2f} s")
    print(f"ratio connector / bare fetch: {fetch_s / bare_s:.2f}")


if __name__ == "__main__":
    main()
