"""Full pull of a generated college year from the «Модуль ПОО» emulator, against a bare httpx fetch.

Generates (or reads) a college scenario, serves it with ``sverka emulate poo``
in a separate process (client and server do not share a GIL), pulls the
whole college with the connector (login, serialised requests, retries,
wire validation), maps it to canonical records and ingests it into a
temporary SQLite store in one sync run.  Then it fetches exactly the same
URLs again with a plain logged-in ``httpx.AsyncClient``, one at a time as the
connector does, with no validation, and prints requests, records per second
and the ratio of the two fetch times.

    .venv/bin/python benchmarks/poo_pull.py --students 1500 --weeks 44
    .venv/bin/python benchmarks/poo_pull.py --scenario /tmp/tpt_year.json.gz
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cli.logging import configure_logging
from connectors.poo.client import PooClient
from connectors.poo.profiles import Deployment
from connectors.poo.pull import pull_group, pull_structure
from connectors.poo.wire import GroupJournal, Structure
from emulators.scenario.generate import build
from emulators.scenario.world import World, parse_moment
from emulators.scenario.writer import write_scenario
from local_store.engine import make_engine, migrate
from local_store.ingest import Snapshot, ingest
from local_store.runs import start_run
from mapping.poo import MapContext, StudentIndex, map_group_journal, map_structure, teacher_index
from pipelines import scopes
from pipelines.poo import JOURNAL_KINDS, STRUCTURE_KINDS, _group_snapshots
from pipelines.window import monday

ROOT = Path(__file__).resolve().parents[1]
SKIP = ("/services/security/",)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("эмулятор не запустился")
        try:
            httpx.get(url + "/x-emulator/stats", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("эмулятор не ответил за пять минут")


class Recording(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and not request.url.path.startswith(SKIP):
            self.urls.append(str(request.url))
        return await super().handle_async_request(request)


async def connector_fetch(
    deployment: Deployment, login: str, password: str, today: dt.date
) -> tuple[Structure, list[GroupJournal], list[str], float, int]:
    recording = Recording()
    client = PooClient(deployment, login, password, pause=0.0, transport=recording)
    started = time.perf_counter()
    cpu = time.process_time()
    journals = []
    async with client:
        structure = await pull_structure(client)
        groups = {g.id: g for g in structure.groups}
        starts = [
            e.startDate.date() for es in structure.entries.values() for e in es if e.startDate
        ]
        window = (min(starts, default=today), today)
        for group_id, entries in sorted(structure.entries.items()):
            journals.append(await pull_group(client, groups[group_id], entries, window))
    elapsed = time.perf_counter() - started
    print(f"процессорное время клиента при загрузке коннектором: {time.process_time() - cpu:.1f} с")
    return structure, journals, recording.urls, elapsed, client.requests


async def bare_fetch(base_url: str, login: str, password: str, urls: list[str]) -> float:
    digest = base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest()).decode()
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        await http.post(
            "/services/security/login",
            json={"login": login, "password": digest, "isRemember": True},
        )
        started = time.perf_counter()
        cpu = time.process_time()
        for url in urls:
            (await http.get(url)).raise_for_status()
        elapsed = time.perf_counter() - started
        if len(urls) > 1:
            print(f"процессорное время клиента при голом httpx: {time.process_time() - cpu:.1f} с")
        await http.delete("/services/security/logout")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="tpt")
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--weeks", type=int, default=44)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default=None, help="an existing scenario file")
    args = parser.parse_args(argv)
    configure_logging(level="WARNING")

    with tempfile.TemporaryDirectory() as tmp:
        if args.scenario:
            path = Path(args.scenario)
        else:
            t0 = time.perf_counter()
            generated = build(args.profile, args.students, args.weeks, args.seed)
            path = Path(tmp) / "college.json.gz"
            write_scenario(path, generated.scenario, generated.truth)
            del generated
            print(f"сценарий сгенерирован за {time.perf_counter() - t0:.1f} с")
        world = World.load(path)
        as_of = parse_moment(world.meta["lessons_until"]) - dt.timedelta(hours=3)
        account = next(a for a in world.accounts if a["role"] == "deputy")
        marks = len(world.tables["mark"].rows)
        groups = len(world.tables["group"].rows)
        timezone = world.timezone
        del world

        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/sverka"), "emulate", "poo", "--scenario", str(path),
             "--port", str(port), "--as-of", as_of.isoformat()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait(url, proc)
            deployment = Deployment("bench", "", url, timezone, "spo_1")
            login, password = str(account["login"]), str(account["password"])
            # Warm the emulator's state for the clock (built once per clock value).
            t0 = time.perf_counter()
            asyncio.run(bare_fetch(url, login, password, ["/services/people/departments/all"]))
            print(
                f"эмулятор: состояние на {as_of.isoformat()} построено за {time.perf_counter() - t0:.1f} с"
            )

            today = as_of.date()
            structure, journals, urls, fetch_s, requests = asyncio.run(
                connector_fetch(deployment, login, password, today)
            )
            t1 = time.perf_counter()
            ctx = MapContext(deployment.deployment_id, timezone, args.profile)
            mapped = map_structure(structure, ctx)
            students, teachers = StudentIndex(structure), teacher_index(structure)
            base = deployment.deployment_id
            snapshots = [
                Snapshot.of(scopes.poo_structure(base), mapped.records, kinds=STRUCTURE_KINDS)
            ]
            first = min((e.startDate.date() for es in structure.entries.values() for e in es
                         if e.startDate), default=today)  # fmt: skip
            for journal in journals:
                jm = map_group_journal(journal, structure, students, teachers, ctx)
                snapshots += _group_snapshots(
                    base, journal.group.id, journal, jm, (monday(first), today)
                )
            map_s = time.perf_counter() - t1
            records = sum(len(s.records) for s in snapshots)
            engine = make_engine(f"sqlite:///{Path(tmp) / 'store.sqlite'}")
            migrate(engine)
            run_id = start_run(
                engine, "poo", deployment=deployment.deployment_id, observed_at=as_of
            )
            t2 = time.perf_counter()
            ingest(engine, run_id, snapshots)
            ingest_s = time.perf_counter() - t2
            bare_s = asyncio.run(bare_fetch(url, login, password, urls))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    total = fetch_s + map_s + ingest_s
    kinds = {k: 0 for k in (*STRUCTURE_KINDS, *JOURNAL_KINDS)}
    for snapshot in snapshots:
        for record in snapshot.records:
            kinds[record.kind] = kinds.get(record.kind, 0) + 1
    print(f"сценарий: {groups} групп, {marks} отметок в сценарии; данные на {as_of.isoformat()}")
    print(f"запросов коннектора: {requests} (из них данных: {len(urls)})")
    print(f"записей: {records} — " + ", ".join(f"{k} {v}" for k, v in kinds.items() if v))
    print(f"загрузка коннектором (вход, запросы, проверка ответов): {fetch_s:.1f} с")
    print(f"сопоставление с канонической моделью: {map_s:.1f} с; запись в SQLite: {ingest_s:.1f} с")
    print(f"итого {total:.1f} с, {records / total:.0f} записей/с")
    print(f"голый httpx по тем же {len(urls)} адресам: {bare_s:.1f} с; "
          f"отношение загрузки коннектора к голому httpx: {fetch_s / bare_s:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
