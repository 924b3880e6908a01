"""A region's night on loopback: N small institutions on emulated hosts, synced by 1, 2, 4 workers.

    .venv/bin/python -m benchmarks.region --institutions 200 --workers 1,2,4 [--hosts 2]
        [--budget 2] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each worker count: a fresh region database, every institution deferred once,
the wall time until all jobs succeeded.  Reported: institutions per minute, the
ratio to the bare baseline (the same pipelines called one after another in one
process, no queue), each host's request rate and the most sessions it held at
once (never above its budget).  JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import Engine, create_engine, text

from emulators.netschool.region import RunningRegionHost
from local_store.region import add_institution, open_institution_store, open_region, set_budget
from pipelines.netschool import NetSchoolConfig, load_config, sync_netschool
from scheduler.region.app import apply_schema, defer_sync, make_app
from scheduler.region.budget import host_key
from tests.netschool.worlds import DEPUTY_LOGIN, DEPUTY_PASSWORD
from tests.region.conftest import start_hosts, start_worker, stop_workers, write_config


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
                "max_sessions": max((h.sessions for h in hits), default=0),
            }
        )
    return out


def _setup(
    url: str, hosts: list[RunningRegionHost], scids: list[list[int]], folder: Path, budget: int
) -> list[str]:
    region = open_region(url)
    apply_schema(url)
    ids = []
    for h, (host, schools) in enumerate(zip(hosts, scids, strict=True)):
        set_budget(region, host_key(host.url), budget)
        for k, scid in enumerate(schools):
            inst = f"s{h}-{k}"
            config = write_config(folder, inst, host.url, scid)
            added = add_institution(
                region,
                institution_id=inst,
                name=inst,
                source="netschool",
                config=str(config),
                timezone="Asia/Barnaul",
                profile="talmenka",
                host=host_key(host.url),
                account=f"{DEPUTY_LOGIN}@{scid}",
                cron="0 3 * * *",
            )
            open_institution_store(url, added.store_schema).dispose()
            ids.append(inst)
    region.dispose()
    return ids


def bare(
    admin_url: str, hosts: list[RunningRegionHost], scids: list[list[int]], folder: Path
) -> float:
    """Seconds for every institution's pipeline, one after another, in this process."""
    url, name = _database(admin_url)
    try:
        stores: list[tuple[Engine, NetSchoolConfig]] = []
        for h, (host, schools) in enumerate(zip(hosts, scids, strict=True)):
            for k, scid in enumerate(schools):
                path = write_config(folder, f"bare{h}-{k}", host.url, scid)
                stores.append((open_institution_store(url, f"bare_{h}_{k}"), load_config(path)))
        started = time.monotonic()
        for store, config in stores:
            sync_netschool(store, config, DEPUTY_PASSWORD)
        elapsed = time.monotonic() - started
        for store, _ in stores:
            store.dispose()
        return elapsed
    finally:
        _drop(admin_url, name)


def with_workers(
    admin_url: str,
    hosts: list[RunningRegionHost],
    scids: list[list[int]],
    folder: Path,
    workers: int,
    budget: int,
) -> tuple[dict[str, object], list[dict[str, float]]]:
    url, name = _database(admin_url)
    procs = []
    try:
        ids = _setup(url, hosts, scids, folder, budget)
        app = make_app(url)
        with app.open():
            from local_store.region import get_institution, region_engine

            region = region_engine(url)
            for inst in ids:
                defer_sync(app, get_institution(region, inst))
        since = [len(h.host.log) for h in hosts]
        started = time.monotonic()
        procs = [
            start_worker(url, folder / f"bench-w{i}.log", concurrency=2) for i in range(workers)
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
        region.dispose()
        numbers = _host_numbers(hosts, since, elapsed)
        return {
            "workers": workers,
            "seconds": round(elapsed, 1),
            "institutions_per_minute": round(len(ids) * 60 / elapsed, 1),
            "hosts": numbers,
        }, numbers
    finally:
        stop_workers(procs)
        _drop(admin_url, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--institutions", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--budget", type=int, default=2, help="sessions per host")
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
    over: list[dict[str, float]] = []
    try:
        with TemporaryDirectory() as tmp:
            folder = Path(tmp)
            baseline = bare(args.pg, hosts, scids, folder)
            bare_rate = args.institutions * 60 / baseline
            out["bare_seconds"] = round(baseline, 1)
            out["bare_institutions_per_minute"] = round(bare_rate, 1)
            runs = []
            for workers in (int(w) for w in args.workers.split(",")):
                run, host_numbers = with_workers(
                    args.pg, hosts, scids, folder, workers, args.budget
                )
                run["ratio_to_bare"] = round(
                    float(str(run["institutions_per_minute"])) / bare_rate, 2
                )
                over += [h for h in host_numbers if h["max_sessions"] > args.budget]
                runs.append(run)
            out["runs"] = runs
    finally:
        for host in hosts:
            host.stop()
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
