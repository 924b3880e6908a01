"""A region on loopback: a fresh PostgreSQL database, NetSchool hosts serving several schools."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from emulators.netschool.region import RunningRegionHost, start_region_host, with_school_id
from local_store.region import add_institution, open_institution_store, open_region, set_budget
from local_store.schema import VERSION_TABLES
from scheduler.region.budget import host_key
from tests.conftest import BACKENDS, scratch_pg_database
from tests.netschool.worlds import DEPLOYMENT, DEPUTY_LOGIN, DEPUTY_PASSWORD, D, build_world

ROOT = Path(__file__).resolve().parents[2]


PG_ONLY = ["test_night.py", "test_job_errors.py", "test_rate_workers.py"]
collect_ignore = [] if "postgresql" in BACKENDS else PG_ONLY
"""A region is PostgreSQL only: a run limited to SQLite leaves these files out (no skips)."""


@pytest.fixture
def region_url() -> Iterator[str]:
    """A region database of its own (the region schema's name is fixed), dropped afterwards."""
    with scratch_pg_database("sverka_region") as url:
        yield url


@dataclass
class Region:
    url: str
    hosts: list[RunningRegionHost]
    configs: dict[str, Path]
    """institution id → its settings file."""
    host_of: dict[str, int]
    """institution id → index of its host."""


def start_hosts(
    per_host: list[int], seed: int = 100
) -> tuple[list[RunningRegionHost], list[list[int]]]:
    """One emulated host per entry, each serving that many small schools; returns their scids."""
    hosts: list[RunningRegionHost] = []
    scids: list[list[int]] = []
    n = 0
    for count in per_host:
        worlds = []
        ids = []
        for _ in range(count):
            n += 1
            ids.append(900_000 + n)
            worlds.append(with_school_id(build_world(seed + n), 900_000 + n))
        hosts.append(start_region_host(worlds, as_of=D))
        scids.append(ids)
    return hosts, scids


def write_config(directory: Path, institution: str, url: str, school_id: int) -> Path:
    path = directory / f"{institution}.toml"
    path.write_text(
        "[netschool]\n"
        f'url = "{url}"\n'
        f'deployment = "{DEPLOYMENT}"\n'
        f"school_id = {school_id}\n"
        f'login = "{DEPUTY_LOGIN}"\n'
        'timezone = "Asia/Barnaul"\n'
        'profile = "talmenka"\n'
        "lookback_weeks = 1\n"
        "backoff_initial = 0.01\n"
        "backoff_max = 0.05\n"
        "timeout = 10\n",
        encoding="utf-8",
    )
    return path


def register(
    url: str,
    hosts: list[RunningRegionHost],
    scids: list[list[int]],
    folder: Path,
    budgets: list[int],
    cron: str = "0 3 * * *",
) -> dict[str, int]:
    """Every school of every host as an institution ``s<host>-<k>``; returns id → host index.

    The library calls ``sverka region add`` and ``budget`` make, without a process each.
    """
    region = open_region(url)
    out: dict[str, int] = {}
    try:
        for h, (host, schools) in enumerate(zip(hosts, scids, strict=True)):
            set_budget(region, host_key(host.url), budgets[h])
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
                    cron=cron,
                )
                open_institution_store(url, added.store_schema).dispose()
                out[inst] = h
    finally:
        region.dispose()
    return out


def store_content(store: Engine) -> tuple[set[tuple[str, str, str]], int, set[tuple[str, str]]]:
    """Current versions (kind, external id, hash), all versions counted, live entities."""
    current: set[tuple[str, str, str]] = set()
    versions = 0
    with store.connect() as conn:
        for kind, table in VERSION_TABLES.items():
            rows = conn.execute(
                text(f"SELECT external_id, content_hash, superseded_run_id FROM {table.name}")
            ).all()
            versions += len(rows)
            current |= {(kind, e, h) for e, h, gone in rows if gone is None}
        entities = {
            (k, e)
            for k, e in conn.execute(
                text("SELECT kind, external_id FROM entity WHERE removed_run_id IS NULL")
            ).all()
        }
    return current, versions, entities


def worker_env() -> dict[str, str]:
    return {**os.environ, "SVERKA_NETSCHOOL_PASSWORD": DEPUTY_PASSWORD, "PYTHONUNBUFFERED": "1"}


def sverka(*args: str, url: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args, "--region", url],
        cwd=ROOT,
        env={**worker_env(), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_worker(
    url: str, log: Path, *, concurrency: int = 2, stalled_after: float = 4
) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "-v",
            "worker",
            "--region",
            url,
            "--concurrency",
            str(concurrency),
            "--heartbeat",
            "1",
            "--stalled-after",
            str(stalled_after),
        ],
        cwd=ROOT,
        env=worker_env(),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for worker in workers:
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
