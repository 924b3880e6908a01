"""Full pull of a generated school year from the NetSchool emulator, against a bare httpx fetch.

Generates a talmenka scenario, serves it with ``sverka emulate netschool`` in
a separate process (so client and server do not share a GIL), pulls the whole
institution with the connector (login, retries, limits, wire validation), maps
it to canonical records and ingests them into a temporary SQLite store.  Then
it fetches exactly the same URLs again with a plain ``httpx.AsyncClient`` at
the same concurrency, with no validation, and prints requests, records per
second and the ratio of the two fetch times.

    .venv/bin/python benchmarks/netschool_pull.py --students 300 --weeks 12
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

from connectors.netschool.client import ClientSettings, NetSchoolClient
from connectors.netschool.pull import pull_institution
from connectors.netschool.wire import InstitutionPull
from emulators.scenario.generate import generate
from local_store.engine import make_engine, migrate
from local_store.ingest import ingest
from local_store.runs import start_run
from mapping.netschool import Source
from pipelines.netschool import snapshots_of

ROOT = Path(__file__).resolve().parents[1]
LOGIN_PATHS = ("/webapi/logindata", "/webapi/auth/getdata", "/webapi/login")


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
            httpx.get(url + "/webapi/logindata", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("эмулятор не ответил за минуту")


async def _connector_pull(
    url: str, login: str, password: str, school: int, tz: str, concurrency: int
) -> tuple[InstitutionPull, list[tuple[str, str, bytes]], float]:
    seen: list[tuple[str, str, bytes]] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path not in LOGIN_PATHS and request.url.path != "/webapi/auth/logout":
            seen.append((request.method, str(request.url), request.content))

    settings = ClientSettings(concurrency=concurrency)
    client = NetSchoolClient(url, login, password, school, settings=settings)
    client.http.event_hooks["request"].append(record)
    started = time.perf_counter()
    pull = await pull_institution(client, timezone=tz, lookback_weeks=None)
    elapsed = time.perf_counter() - started
    await client.logout()
    await client.http.aclose()
    return pull, seen, elapsed


async def _bare_fetch(
    url: str,
    login: str,
    password: str,
    school: int,
    requests: list[tuple[str, str, bytes]],
    concurrency: int,
) -> float:
    # Log in once through the connector's auth, then replay with nothing but httpx.
    async with NetSchoolClient(url, login, password, school) as logged:
        await logged.context()
        headers = {"at": logged.auth.token or ""}
        cookies = logged.auth.cookies
        limit = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(
            headers=headers, cookies=cookies, limits=httpx.Limits(max_connections=concurrency)
        ) as bare:

            async def one(method: str, target: str, body: bytes) -> None:
                async with limit:
                    response = await bare.request(
                        method,
                        target,
                        content=body or None,
                        headers={"content-type": "application/json"} if body else None,
                    )
                    response.raise_for_status()
                    await response.aread()

            started = time.perf_counter()
            await asyncio.gather(*(one(m, u, b) for m, u, b in requests))
            return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    data = generate("talmenka", args.students, args.weeks, args.seed)
    deputy = next(a for a in data["accounts"] if a.get("role") == "deputy")
    moment = str(data["lessons_until"])
    tmp = Path(tempfile.mkdtemp(prefix="sverka-bench-"))
    scenario = tmp / "talmenka.json"
    scenario.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "emulate",
            "netschool",
            "--scenario",
            str(scenario),
            "--port",
            str(port),
            "--as-of",
            moment,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(url, proc)
        school = int(deputy["school_id"])
        pull, seen, fetch_s = asyncio.run(
            _connector_pull(
                url, deputy["login"], deputy["password"], school, data["timezone"], args.concurrency
            )
        )
        started = time.perf_counter()
        source = Source(str(data["platform"]["deployment"]), str(data["timezone"]), "talmenka")
        snapshots = snapshots_of(pull, source)
        map_s = time.perf_counter() - started
        records = sum(len(s.records) for s in snapshots)
        engine = make_engine(f"sqlite:///{tmp / 'store.sqlite'}")
        migrate(engine)
        run_id = start_run(
            engine,
            "netschool",
            deployment=source.deployment,
            observed_at=dt.datetime.fromisoformat(moment),
        )
        started = time.perf_counter()
        ingest(engine, run_id, snapshots)
        ingest_s = time.perf_counter() - started
        bare_s = asyncio.run(
            _bare_fetch(url, deputy["login"], deputy["password"], school, seen, args.concurrency)
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    requests = pull.requests
    print(f"scenario: talmenka, {args.students} students, {args.weeks} weeks, as of {moment}")
    print(f"connector requests: {requests} (replayed without login: {len(seen)})")
    print(f"records: {records} in {len(snapshots)} scopes")
    print(f"connector fetch: {fetch_s:.2f} s ({requests / fetch_s:.0f} req/s)")
    print(f"mapping: {map_s:.2f} s; ingest (SQLite): {ingest_s:.2f} s")
    print(
        f"records/s, fetch + mapping: {records / (fetch_s + map_s):.0f}; "
        f"end to end with ingest: {records / (fetch_s + map_s + ingest_s):.0f}"
    )
    print(f"bare httpx fetch of the same {len(seen)} requests: {bare_s:.2f} s")
    print(f"ratio connector / bare fetch: {fetch_s / bare_s:.2f}")


if __name__ == "__main__":
    main()
