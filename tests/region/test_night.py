"""A region's night at the issue's size: 3 worker processes, 20 institutions, 2 hosts, 10 kills.

Done means (issue 19), checked in one pool session of workers:

- every institution is synced once per planned firing (one job per institution and
  firing, one succeeded run per job, joined by ``sync_run.job``);
- no host's request log ever shows more sessions worked at once than its budget;
- SIGKILL of a worker mid-sync, at random moments, 10 times: each institution's store
  ends exactly as an uninterrupted sync of the same school leaves it (the same current
  version of every record, one version per record, the same live entities), and no
  run is left ``running``.

A worker is killed while it holds a host slot, that is while it talks to the host or
writes the store; the slot's connection names its process (``application_name``), so
the test knows whom to kill.  A fresh worker takes the killed one's place, and the
others give the stalled job back to the queue.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import Engine, text

from emulators.netschool.region import max_concurrent_sessions
from local_store.region import list_institutions, open_institution_store, open_region
from pipelines.netschool import load_config, sync_netschool
from tests.netschool.worlds import DEPUTY_PASSWORD
from tests.region.conftest import (
    register,
    start_hosts,
    start_worker,
    stop_workers,
    store_content,
    sverka,
)

PER_HOST = [10, 10]
BUDGETS = [2, 3]
WORKERS = 3
KILLS = 10
FIRINGS = 3
PERIOD = 30
CRON = f"* * * * * */{PERIOD}"
"""Every 30 seconds (croniter's sixth field is seconds): a night's firing, many times over."""
STALLED_AFTER = 8
"""Seconds without a heartbeat before a worker counts as gone: wide enough that a worker
slowed down by a loaded machine is not taken for a killed one."""
KILL_WITHIN = 10
"""Kill only this many seconds into a firing, so the rescued job is done before the next
one (a later firing finding the job still waiting would be merged into it, by design)."""
HOLDER = re.compile(r"^sverka-sync pid=(\d+) job=(\d+) (\S+)$")

Firings = dict[str, dict[int, list[tuple[int, str]]]]


def _firings(region: Engine) -> Firings:
    """institution → {planned firing (UTC timestamp): [(job id, status), …]} of periodic jobs."""
    out: Firings = {}
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


def _complete(firings: Firings, institutions: int) -> set[int]:
    """Firings in which every institution has one job, and it succeeded."""
    stamps = {s for f in firings.values() for s in f}
    return {
        s
        for s in stamps
        if sum(1 for f in firings.values() if [st for _, st in f.get(s, [])] == ["succeeded"])
        == institutions
    }


def _summary(firings: Firings) -> list[str]:
    """Each firing: how many institutions have it, and any job not (yet) succeeded."""
    stamps = sorted({s for f in firings.values() for s in f})
    out = []
    for stamp in stamps:
        jobs = {i: f.get(stamp, []) for i, f in firings.items()}
        odd = {i: j for i, j in jobs.items() if [st for _, st in j] != ["succeeded"]}
        out.append(f"{stamp}: {sum(1 for j in jobs.values() if j)} institutions, odd {odd}")
    return out


def _dump(region: Engine) -> str:
    """Every job and its events, for a failure's report."""
    with region.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT j.id, j.args, j.status, j.attempts, j.worker_id, "
                "array_agg(e.type::text || '@' || to_char(e.at, 'MI:SS.MS') ORDER BY e.at) "
                "FROM procrastinate_jobs j LEFT JOIN procrastinate_events e ON e.job_id = j.id "
                "GROUP BY j.id ORDER BY j.id"
            )
        ).all()
    return "\n".join(str(tuple(r)) for r in rows)


def _holders(region: Engine) -> list[tuple[int, int, str]]:
    """(process id, job id, institution) of every sync holding a host slot right now."""
    with region.connect() as conn:
        names = conn.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
                "AND a.application_name LIKE 'sverka-sync %'"
            )
        ).scalars()
        found = [HOLDER.match(str(name)) for name in names]
    return [(int(m[1]), int(m[2]), m[3]) for m in found if m]


def _job_status(region: Engine, job_id: int) -> str:
    with region.connect() as conn:
        return str(
            conn.execute(
                text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            ).scalar_one()
        )


def test_three_workers_twenty_institutions_ten_kills_within_host_budgets(
    region_url: str, tmp_path: Path
) -> None:
    hosts, scids = start_hosts(PER_HOST, seed=500)
    workers: list[subprocess.Popen[bytes]] = []
    rnd = random.Random(19)
    try:
        assert sverka("region", "init", url=region_url).returncode == 0
        expected = register(region_url, hosts, scids, tmp_path, BUDGETS, cron=CRON)
        region = open_region(region_url)
        registered = {inst.id: inst for inst in list_institutions(region)}
        assert set(registered) == set(expected)

        # The uninterrupted runs: each school synced once, in this process, into a schema
        # of its own.
        reference = {}
        for inst in registered.values():
            ref_store = open_institution_store(region_url, "ref_" + inst.store_schema)
            done = sync_netschool(ref_store, load_config(Path(inst.config)), DEPUTY_PASSWORD)
            assert done.status.value == "succeeded", done.error
            reference[inst.id] = store_content(ref_store)
            ref_store.dispose()
            current, versions, _ = reference[inst.id]
            assert versions == len(current) > 0
        since = [len(host.host.log) for host in hosts]

        plan = sverka("region", "plan", url=region_url)
        assert plan.returncode == 0 and "s0-0" in plan.stdout, plan.stdout + plan.stderr

        started = time.monotonic()

        def worker() -> subprocess.Popen[bytes]:
            log = tmp_path / f"worker{len(workers)}.log"
            workers.append(start_worker(region_url, log, stalled_after=STALLED_AFTER))
            return workers[-1]

        # Workers start just after a firing, so the firing they catch up on at start is
        # done long before the next one.
        time.sleep(PERIOD - time.time() % PERIOD + 0.2)
        for _ in range(WORKERS):
            worker()
        killed: list[tuple[int, str]] = []
        deadline = time.monotonic() + 420
        while len(killed) < KILLS:
            assert time.monotonic() < deadline, f"убито только {len(killed)} обработчиков"
            time.sleep(rnd.uniform(0.05, 0.6))
            if time.time() % PERIOD > KILL_WITHIN:
                continue
            alive = {w.pid: w for w in workers if w.poll() is None}
            mid_sync = [h for h in _holders(region) if h[0] in alive]
            if not mid_sync:
                continue
            pid, job_id, institution = rnd.choice(mid_sync)
            victim = alive[pid]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            # Killed mid-sync: its job is still "doing", so only the rescue can finish it.
            assert _job_status(region, job_id) == "doing", (job_id, institution)
            killed.append((job_id, institution))
            print(f"{time.time() % PERIOD:4.1f} s into a firing: killed {pid} in job {job_id}")
            worker()
            time.sleep(rnd.uniform(0.5, 2.5))

        # Then the night goes on until every institution is synced in enough firings and
        # no job is left over from the kills.
        firings: Firings = {}
        while True:
            firings = _firings(region)
            stamps = {s for f in firings.values() for s in f}
            complete = _complete(firings, len(expected))
            settled = all(_job_status(region, job) == "succeeded" for job, _ in killed)
            if settled and len(complete) >= FIRINGS and max(stamps) in complete:
                break
            if time.monotonic() > deadline:
                print("\n".join(_summary(firings)), killed, _dump(region), sep="\n")
                raise AssertionError("ночь не закончилась: см. вывод выше")
            time.sleep(1)
        night = time.monotonic() - started
        stop_workers(workers)
        logs = "\n".join(
            p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("worker*.log")
        )
        print(f"night: {night:.0f} s, {len(stamps)} firings, {len(killed)} kills")

        # Every planned firing became one job per institution, each job succeeded (a killed
        # one on its second run), and no firing was skipped or doubled.
        assert set(firings) == set(expected), logs
        assert all(len(jobs) == 1 for f in firings.values() for jobs in f.values()), firings
        assert complete == stamps, (_summary(firings), logs)
        assert {job for job, _ in killed} <= {
            j for f in firings.values() for jobs in f.values() for j, _ in jobs
        }

        # A killed worker's jobs (the one it was chosen for, and any other it ran) went
        # back to the queue: each such run counts in the job's attempts.
        with region.connect() as conn:
            job_rows = conn.execute(text("SELECT id, attempts FROM procrastinate_jobs")).all()
        attempts = {int(job): int(n) for job, n in job_rows}
        assert all(attempts[job] >= 1 for job, _ in killed), attempts
        for inst in registered.values():
            store = open_institution_store(region_url, inst.store_schema)
            with store.connect() as conn:
                runs = conn.execute(
                    text("SELECT job, status FROM sync_run WHERE source = 'netschool'")
                ).all()
            content = store_content(store)
            store.dispose()
            # Nothing lost, nothing doubled: the store is what the uninterrupted sync made.
            assert content == reference[inst.id], inst.id
            # One succeeded run per job of a firing; a run killed while writing is closed as
            # interrupted (one killed while pulling had not opened its run yet).
            jobs = [f"procrastinate:{j}" for f in firings[inst.id].values() for j, _ in f]
            succeeded = [job for job, status in runs if status == "succeeded"]
            assert sorted(succeeded) == sorted(jobs), (inst.id, runs)
            assert not [r for r in runs if r.status == "running"], (inst.id, runs)
            for job, status in runs:
                if status == "interrupted":
                    assert attempts[int(job.rsplit(":", 1)[1])] >= 1, (inst.id, runs)
        region.dispose()

        # The operator's view: every institution, its last sync succeeded.
        status = sverka("region", "status", url=region_url)
        assert status.returncode == 0, status.stderr
        rows = [line for line in status.stdout.splitlines() if re.search(r"\bs\d-\d+\b", line)]
        assert len(rows) == len(expected), status.stdout
        assert all("успешно" in row for row in rows), status.stdout

        # No host ever worked more sessions at once than its budget, and the roomier one
        # used all of it: the budget, not the workers, was the limit.
        for h, host in enumerate(hosts):
            hits = host.host.log[since[h] :]
            logins = [hit for hit in hits if hit.path.endswith("/login")]
            assert len(logins) >= FIRINGS * PER_HOST[h]
            assert max_concurrent_sessions(hits) <= BUDGETS[h], (h, max_concurrent_sessions(hits))
        assert max_concurrent_sessions(hosts[1].host.log[since[1] :]) == BUDGETS[1]
    finally:
        stop_workers(workers)
        for host in hosts:
            host.stop()
