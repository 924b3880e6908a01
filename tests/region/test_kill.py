"""A worker killed mid-sync loses nothing and duplicates nothing.

Each trial kills the worker (SIGKILL) at a random moment of one institution's
sync; a second worker takes the stalled job over.  The institution's store must
then hold exactly what an uninterrupted sync of the same world holds: the same
current version of every record, one version per record, no run left running.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

from sqlalchemy import Engine, text

from local_store.region import get_institution, open_institution_store, open_region
from local_store.schema import VERSION_TABLES
from pipelines.netschool import load_config, sync_netschool
from tests.netschool.worlds import DEPUTY_PASSWORD
from tests.region.conftest import start_hosts, start_worker, stop_workers, sverka, write_config

TRIALS = 3


def _content(store: Engine) -> tuple[set[tuple[str, str, str]], int, set[tuple[str, str]]]:
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


def _job_status(region: Engine, job_id: int) -> str:
    with region.connect() as conn:
        return str(
            conn.execute(
                text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            ).scalar_one()
        )


def _wait(region: Engine, job_id: int, status: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _job_status(region, job_id) != status:
        assert time.monotonic() < deadline, f"задание {job_id} не дошло до {status}"
        time.sleep(0.1)


def test_a_worker_killed_mid_sync_loses_and_duplicates_nothing(
    region_url: str, tmp_path: Path
) -> None:
    hosts, scids = start_hosts([1], seed=300)
    workers = []
    rnd = random.Random(19)
    try:
        assert sverka("region", "init", url=region_url).returncode == 0
        config = write_config(tmp_path, "kill-school", hosts[0].url, scids[0][0])
        added = sverka(
            "region",
            "add",
            "kill-school",
            "--config",
            str(config),
            "--cron",
            "0 3 * * *",
            url=region_url,
        )
        assert added.returncode == 0, added.stderr
        region = open_region(region_url)

        # The uninterrupted run: the same world, synced once into a store of its own.
        reference_store = open_institution_store(region_url, "reference")
        reference = sync_netschool(reference_store, load_config(config), DEPUTY_PASSWORD)
        assert reference.status.value == "succeeded"
        expected_current, expected_versions, expected_entities = _content(reference_store)
        reference_store.dispose()
        assert expected_versions == len(expected_current) > 0

        store = open_institution_store(
            region_url, get_institution(region, "kill-school").store_schema
        )
        for trial in range(TRIALS):
            deferred = sverka("region", "sync", "--institution", "kill-school", url=region_url)
            assert deferred.returncode == 0, deferred.stderr
            job_id = int(deferred.stdout.rsplit("задание", 1)[1].strip(" .\n"))
            victim = start_worker(region_url, tmp_path / f"victim{trial}.log", concurrency=1)
            workers.append(victim)
            _wait(region, job_id, "doing", 60)
            # A random moment of the pull: after the k-th request the host answers for it.
            seen = len(hosts[0].host.log)
            k = rnd.randint(1, reference.requests - 2)
            deadline = time.monotonic() + 60
            while len(hosts[0].host.log) < seen + k:
                assert time.monotonic() < deadline, "синхронизация не идёт"
                time.sleep(0.005)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            # Killed mid-sync: the job was still running, so only the rescue can finish it.
            assert _job_status(region, job_id) == "doing", trial
            rescuer = start_worker(region_url, tmp_path / f"rescuer{trial}.log", concurrency=1)
            workers.append(rescuer)
            _wait(region, job_id, "succeeded", 120)
            stop_workers([rescuer])

            current, versions, entities = _content(store)
            assert current == expected_current, trial
            assert versions == expected_versions, trial
            assert entities == expected_entities, trial
            with store.connect() as conn:
                runs = conn.execute(text("SELECT job, status FROM sync_run")).all()
            assert ("procrastinate:" + str(job_id), "succeeded") in [tuple(r) for r in runs]
            assert not [r for r in runs if r.status == "running"], runs
        store.dispose()
        region.dispose()
    finally:
        stop_workers(workers)
        for host in hosts:
            host.stop()
