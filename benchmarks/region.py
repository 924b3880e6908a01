"""A region's night on loopback: N small institutions on emulated hosts, synced by 1, 2, 4 workers.

    .venv/bin/python -m benchmarks.region --institutions 200 --workers 1,2,4 [--hosts 2]
        [--budget 2] [--concurrency 2] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

One region database for the whole benchmark: its institutions registered and
their stores migrated once, emptied before each round so every round syncs the
same schools from nothing.  Rounds: the bare baseline (the same pipelines called
one after another in this process, no queue, no budget), then each worker count
(every institution deferred once, the wall time from the workers' start until
every job succeeded).  Reported: institutions per minute, the ratio to the bare
baseline, each host's request rate and the most sessions it worked at once
(never above its budget).  JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import create_engine, text

from emulators.netschool.region import RunningRegionHost, max_concurrent_sessions
from local_store.region import list_institutions, open_region, schema_engine
from pipelines.netschool import load_config, sync_netschool
from scheduler.region.app import apply_schema, defer_sync, make_app
from tests.netschool.worlds import DEPUTY_PASSWORD
from tests.region.conftest import register, start_hosts, start_worker, stop_workers


def _database(admin_url: str) -> tuple[str, str]:
    name = f"sverka_region_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{admin_url.rpartition('/')[0]}/{name}", name


def _drop(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _host_numbers(
    hosts: list[RunningRegionHost], since: list[int], seconds: float
) -> list[dict[str, float]]:
    out = []
    for host, start in zip(hosts, since, strict=True):
        hits = host.host.log[start:]
        out.append(
            {
                "requests": len(hits),
                "logins": sum(1 for h in hits if h.path.endswith("/login")),
                "requests_per_second": round(len(hits) / seconds, 1),
                "max_sessions": max_concurrent_sessions(hits),
            }
        )
    return out


def _empty_stores(url: str) -> None:
    """Every institution's store emptied (its schema and migrations kept), the job table too."""
    region = open_region(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for inst in list_institutions(region):
                tables = conn.execute(
                    text(
                        "SELECT quote_ident(table_name) FROM information_schema.tables "
                        "WHERE table_schema = :s AND table_name <> 'alembic_version' "
                        "AND table_type = 'BASE TABLE'"
                    ),
                    {"s": inst.store_schema},
                ).scalars()
                names = ", ".join(f'"{inst.store_schema}".{t}' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            conn.execute(
                text(
                    "TRUNCATE region.procrastinate_jobs, region.procrastinate_events, "
                    "region.procrastinate_periodic_defers RESTART IDENTITY CASCADE"
                )
            )
    finally:
        engine.dispose()
        region.dispose()


def bare(url: str, hosts: list[RunningRegionHost]) -> tuple[float, list[dict[str, float]]]:
    """Seconds for every institution's pipeline, one after another, in this process."""
    _empty_stores(url)
    region = open_region(url)
    institutions = list_institutions(region)
    region.dispose()
    since = [len(h.host.log) for h in hosts]
    started = time.monotonic()
    for inst in institutions:
        # An engine per store, closed after its sync: 200 open pools exceed the server's clients.
        store = schema_engine(url, inst.store_schema)
        sync_netschool(store, load_config(Path(inst.config)), DEPUTY_PASSWORD)
        store.dispose()
    elapsed = time.monotonic() - started
    return elapsed, _host_numbers(hosts, since, elapsed)


def with_workers(
    url: str, hosts: list[RunningRegionHost], folder: Path, workers: int, concurrency: int
) -> dict[str, object]:
    _empty_stores(url)
    procs = []
    region = open_region(url)
    try:
        institutions = list_institutions(region)
        app = make_app(url)
        with app.open():
            for inst in institutions:
                defer_sync(app, inst)
        since = [len(h.host.log) for h in hosts]
        started = time.monotonic()
        procs = [
            start_worker(url, folder / f"bench-w{i}.log", concurrency=concurrency, stalled_after=30)
            for i in range(workers)
        ]
        while True:
            with region.connect() as conn:
                left = conn.execute(
                    text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")
                ).scalar_one()
            if not left:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        return {
            "workers": workers,
            "concurrency": concurrency,
            "seconds": round(elapsed, 1),
            "institutions_per_minute": round(len(institutions) * 60 / elapsed, 1),
            "hosts": _host_numbers(hosts, since, elapsed),
        }
    finally:
        stop_workers(procs)
        region.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--institutions", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--budget", type=int, default=2, help="sessions per host")
    parser.add_argument("--concurrency", type=int, default=2, help="jobs per worker")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    os.environ["SVERKA_NETSCHOOL_PASSWORD"] = DEPUTY_PASSWORD
    per_host = [
        args.institutions // args.hosts + (1 if i < args.institutions % args.hosts else 0)
        for i in range(args.hosts)
    ]
    hosts, scids = start_hosts(per_host, seed=1000)
    out: dict[str, object] = {
        "institutions": args.institutions,
        "hosts": args.hosts,
        "budget": args.budget,
    }
    over = False
    url, name = _database(args.pg)
    try:
        with TemporaryDirectory() as tmp:
            folder = Path(tmp)
            started = time.monotonic()
            register(url, hosts, scids, folder, [args.budget] * args.hosts)
            apply_schema(url)
            out["setup_seconds"] = round(time.monotonic() - started, 1)
            baseline, bare_hosts = bare(url, hosts)
            bare_rate = args.institutions * 60 / baseline
            out["bare_seconds"] = round(baseline, 1)
            out["bare_institutions_per_minute"] = round(bare_rate, 1)
            out["bare_hosts"] = bare_hosts
            runs = []
            for workers in (int(w) for w in args.workers.split(",")):
                run = with_workers(url, hosts, folder, workers, args.concurrency)
                rate = float(str(run["institutions_per_minute"]))
                run["ratio_to_bare"] = round(rate / bare_rate, 2)
                hosts_numbers = run["hosts"]
                assert isinstance(hosts_numbers, list)
                over = over or any(h["max_sessions"] > args.budget for h in hosts_numbers)
                runs.append(run)
                print(json.dumps(run, ensure_ascii=False), file=sys.stderr, flush=True)
            out["runs"] = runs
    finally:
        for host in hosts:
            host.stop()
        _drop(args.pg, name)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
