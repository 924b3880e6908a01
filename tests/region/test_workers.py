"""Several worker processes sync a region's institutions on loopback hosts with budgets.

Done means (issue 19): every institution is synced once per planned firing, and
no host's request log ever shows more open sessions than its budget.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

from local_store.region import list_institutions, open_region, schema_engine
from tests.region.conftest import (
    start_hosts,
    start_worker,
    stop_workers,
    sverka,
    write_config,
)

PER_HOST = [3, 3]
BUDGETS = [1, 2]
CRON = "* * * * * */30"
"""Every 30 seconds (croniter's sixth field is seconds): a firing every test can wait for."""
FIRINGS = 2


def _firings(region: Engine) -> dict[str, dict[int, list[tuple[int, str]]]]:
    """institution → {planned firing (UTC timestamp): [(job id, status), …]} of periodic jobs."""
    out: dict[str, dict[int, list[tuple[int, str]]]] = {}
    with region.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT args->>'institution', (args->>'timestamp')::bigint, id, status::text "
                "FROM procrastinate_jobs WHERE args ? 'timestamp' ORDER BY id"
            )
        ).all()
    for institution, stamp, job_id, status in rows:
        out.setdefault(str(institution), {}).setdefault(int(stamp), []).append((job_id, status))
    return out


def _succeeded(firings: dict[int, list[tuple[int, str]]]) -> set[int]:
    return {s for s, jobs in firings.items() if [st for _, st in jobs] == ["succeeded"]}


def test_three_workers_sync_each_institution_once_per_firing_within_host_budgets(
    region_url: str, tmp_path: Path
) -> None:
    hosts, scids = start_hosts(PER_HOST)
    workers = []
    try:
        assert sverka("region", "init", url=region_url).returncode == 0
        expected: dict[str, int] = {}
        for h, (host, ids) in enumerate(zip(hosts, scids, strict=True)):
            for k, scid in enumerate(ids):
                inst = f"school-{h}{k}"
                config = write_config(tmp_path, inst, host.url, scid)
                added = sverka(
                    "region", "add", inst, "--config", str(config), "--cron", CRON, url=region_url
                )
                assert added.returncode == 0, added.stdout + added.stderr
                expected[inst] = h
            budget = sverka(
                "region",
                "budget",
                host.url.removeprefix("http://"),
                str(BUDGETS[h]),
                url=region_url,
            )
            assert budget.returncode == 0, budget.stdout + budget.stderr
        plan = sverka("region", "plan", url=region_url)
        assert plan.returncode == 0 and "school-00" in plan.stdout, plan.stdout + plan.stderr

        workers = [start_worker(region_url, tmp_path / f"worker{i}.log") for i in range(3)]
        region = open_region(region_url)
        deadline = time.monotonic() + 200
        done: dict[str, dict[int, list[tuple[int, str]]]] = {}
        while time.monotonic() < deadline:
            done = _firings(region)
            stamps = [_succeeded(f) for f in done.values()]
            if len(done) == len(expected) and len(set.intersection(*stamps)) >= FIRINGS:
                break
            time.sleep(1)
        stop_workers(workers)
        logs = "\n".join(
            p.read_text(errors="replace")[-6000:] for p in tmp_path.glob("worker*.log")
        )
        assert set(done) == set(expected), logs

        # Every planned firing became one job per institution, and each job made one run.
        common = set.intersection(*(_succeeded(f) for f in done.values()))
        assert len(common) >= FIRINGS, (done, logs)
        # Never two jobs for one institution's firing.
        assert all(len(jobs) == 1 for f in done.values() for jobs in f.values()), done
        for registered in list_institutions(region):
            store = schema_engine(region_url, registered.store_schema)
            with store.connect() as conn:
                runs = conn.execute(
                    text("SELECT job, status FROM sync_run WHERE source = 'netschool'")
                ).all()
            store.dispose()
            jobs = {j for f in done[registered.id].values() for j, st in f if st == "succeeded"}
            succeeded = [job for job, status in runs if status == "succeeded"]
            assert sorted(succeeded) == sorted(f"procrastinate:{j}" for j in jobs), (
                registered.id,
                runs,
            )
            assert len(set(succeeded)) == len(succeeded), (registered.id, runs)
        region.dispose()

        # The operator's view: every institution, its last sync succeeded, nothing failing.
        status = sverka("region", "status", url=region_url)
        assert status.returncode == 0, status.stderr
        rows = [line for line in status.stdout.splitlines() if "school-" in line]
        assert len(rows) == len(expected), status.stdout
        assert all("успешно" in row and "ошибка" not in row for row in rows), status.stdout

        # No host ever held more sessions than its budget.
        for h, host in enumerate(hosts):
            logins = [hit for hit in host.host.log if hit.path.endswith("/login")]
            assert len(logins) >= FIRINGS * PER_HOST[h]
            assert host.host.max_sessions() <= BUDGETS[h], (h, host.host.max_sessions())
        # The roomier host was used in parallel: the budget, not the workers, was the limit.
        assert hosts[1].host.max_sessions() == BUDGETS[1]
    finally:
        stop_workers(workers)
        for host in hosts:
            host.stop()
