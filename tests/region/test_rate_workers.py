"""Worker processes syncing institutions of one host keep to the host's requests per second.

The budget is set with the command an operator uses; two worker processes sync three
schools of one emulated host at once; the host's request log is the judge.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from local_store.region import open_region
from scheduler.region.budget import host_key
from tests.region.conftest import register, start_hosts, start_worker, stop_workers, sverka
from tests.region.test_rate import most_in_one_second

RATE = 15


def test_two_workers_syncing_three_schools_keep_to_the_host_rate(
    region_url: str, tmp_path: Path
) -> None:
    hosts, scids = start_hosts([3], seed=800)
    workers = []
    try:
        assert sverka("region", "init", url=region_url).returncode == 0
        register(region_url, hosts, scids, tmp_path, [3])
        key = host_key(hosts[0].url)
        budget = sverka("region", "budget", key, "3", "--rps", str(RATE), url=region_url)
        assert budget.returncode == 0, budget.stdout + budget.stderr
        plan = sverka("region", "plan", url=region_url)
        assert f"3 сеанс.; {RATE} запр./с" in plan.stdout, plan.stdout + plan.stderr
        queued = sverka(
            "region",
            "sync",
            "--institution",
            "s0-0",
            "--institution",
            "s0-1",
            "--institution",
            "s0-2",
            url=region_url,
        )
        assert queued.returncode == 0, queued.stdout + queued.stderr
        workers = [start_worker(region_url, tmp_path / f"worker{n}.log") for n in range(2)]
        region = open_region(region_url)
        deadline = time.monotonic() + 120
        while True:
            with region.connect() as conn:
                done = conn.execute(
                    text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'")
                ).scalar_one()
            if done == 3:
                break
            assert time.monotonic() < deadline, (tmp_path / "worker0.log").read_text()
            time.sleep(0.5)
        region.dispose()
    finally:
        stop_workers(workers)
        for host in hosts:
            host.stop()
    log = hosts[0].host.log
    arrivals = [hit.arrived for hit in log]
    # Syncs ran side by side (the sessions budget allowed it), so the rate is what bound them:
    # requests leave 1/RATE apart; on arrival one may cross a window's edge by jitter.
    assert hosts[0].host.max_sessions() >= 2
    assert most_in_one_second(arrivals) <= RATE + 1
    assert max(arrivals) - min(arrivals) >= (len(arrivals) - 1) / RATE - 0.15
