"""A failed sync is retried, failed or held by the region's error table, on real workers.

A wrong login fails the job at once (retrying would only knock on the host again);
an unreachable host sends the job back to the queue for later; a stalled job whose
institution already has a newer sync waiting is closed so the waiting one can run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

from sqlalchemy import Engine, text

from local_store.region import open_region
from scheduler.region.app import SYNC_TASK, apply_schema, make_app, rescue_stalled
from scheduler.region.errors import JOB_ERRORS, MAX_RUNS, Decision
from tests.region.conftest import register, start_hosts, start_worker, stop_workers, sverka


def _jobs(region: Engine) -> dict[str, tuple[str, int, dt.datetime]]:
    """institution → (status, attempts, scheduled_at or now) of its one job."""
    with region.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT args->>'institution', status::text, attempts, "
                "coalesce(scheduled_at, now()) FROM procrastinate_jobs"
            )
        ).all()
    return {str(i): (str(s), int(a), at) for i, s, a, at in rows}


def test_a_wrong_login_fails_at_once_and_an_unreachable_host_is_tried_again_later(
    region_url: str, tmp_path: Path
) -> None:
    hosts, scids = start_hosts([1], seed=700)
    workers = []
    try:
        assert sverka("region", "init", url=region_url).returncode == 0
        register(region_url, hosts, scids, tmp_path, [2])
        good = tmp_path / "s0-0.toml"
        settings = good.read_text(encoding="utf-8")
        (tmp_path / "wrong.toml").write_text(
            settings.replace('login = "zavuch"', 'login = "nobody"'), encoding="utf-8"
        )
        (tmp_path / "down.toml").write_text(
            settings.replace(hosts[0].url, "http://127.0.0.1:9"), encoding="utf-8"
        )
        for inst in ("wrong", "down"):
            added = sverka(
                "region", "add", inst, "--config", str(tmp_path / f"{inst}.toml"), url=region_url
            )
            assert added.returncode == 0, added.stdout + added.stderr
        queued = sverka(
            "region",
            "sync",
            "--institution",
            "s0-0",
            "--institution",
            "wrong",
            "--institution",
            "down",
            url=region_url,
        )
        assert queued.returncode == 0 and queued.stdout.count("поставлена в очередь") == 3
        again = sverka("region", "sync", "--institution", "wrong", url=region_url)
        assert "уже ждёт в очереди" in again.stdout, again.stdout

        workers = [start_worker(region_url, tmp_path / "worker.log")]
        region = open_region(region_url)
        deadline = time.monotonic() + 120
        while True:
            jobs = _jobs(region)
            if (
                jobs["s0-0"][0] == "succeeded"
                and jobs["wrong"][0] == "failed"
                and jobs["down"][1] >= 1
            ):
                break
            assert time.monotonic() < deadline, (jobs, (tmp_path / "worker.log").read_text())
            time.sleep(0.5)
        stop_workers(workers)
        jobs = _jobs(region)
        # The wrong login ran once (attempts count finished runs): no retry of a failure a
        # person must mend.
        assert jobs["wrong"][1] == 1, jobs
        # The unreachable host waits in the queue for the table's minute, not a moment.
        status, attempts, scheduled = jobs["down"]
        assert (status, attempts) == ("todo", 1), jobs
        with region.connect() as conn:
            now = conn.execute(text("SELECT now()")).scalar_one()
        assert scheduled - now > dt.timedelta(seconds=JOB_ERRORS["Unreachable"].wait_seconds - 20)
        region.dispose()

        view = sverka("region", "status", url=region_url)
        row = next(line for line in view.stdout.splitlines() if "wrong" in line)
        assert "ошибка" in row, view.stdout
    finally:
        stop_workers(workers)
        for host in hosts:
            host.stop()


def test_a_stalled_job_with_a_newer_sync_waiting_is_closed_for_the_waiting_one(
    region_url: str,
) -> None:
    open_region(region_url).dispose()
    apply_schema(region_url)

    async def scenario() -> tuple[dict[int, str], dict[int, str]]:
        app = make_app(region_url)
        async with app.open_async():
            task = app.tasks[SYNC_TASK]
            stalled = await task.configure(queueing_lock="sync:a", lock="host:a").defer_async(
                institution="a"
            )
            other = await task.configure(queueing_lock="sync:b").defer_async(institution="b")
            # Both were taken by a worker that died without a trace (no worker row left).
            await app.connector.execute_query_async(
                "UPDATE procrastinate_jobs SET status = 'doing' WHERE id IN (%(a)s, %(b)s)",
                a=stalled,
                b=other,
            )
            waiting = await task.configure(queueing_lock="sync:a", lock="host:a").defer_async(
                institution="a"
            )
            done = await rescue_stalled(app, stalled_after=4)
            rows = await app.connector.execute_query_all_async(
                "SELECT id, status::text AS status FROM procrastinate_jobs"
            )
            assert waiting not in done
            return done, {int(r["id"]): str(r["status"]) for r in rows}

    done, statuses = asyncio.run(scenario())
    assert sorted(done.values()) == ["retried", "superseded"], done
    by_status = {v: k for k, v in done.items()}
    assert statuses[by_status["superseded"]] == "failed"
    assert statuses[by_status["retried"]] == "todo"
    assert sorted(statuses.values()) == ["failed", "todo", "todo"]


def test_the_error_table_decides_retry_fail_or_hold() -> None:
    from procrastinate.jobs import Job

    from scheduler.region.app import RETRY
    from scheduler.region.budget import BudgetBusy
    from scheduler.region.errors import SyncFailed

    def job(attempts: int) -> Job:
        return Job(
            id=1,
            queue="sync",
            lock=None,
            queueing_lock=None,
            task_name=SYNC_TASK,
            attempts=attempts,
        )

    assert RETRY.get_retry_decision(exception=SyncFailed("x", "AuthFailed"), job=job(0)) is None
    assert RETRY.get_retry_decision(exception=SyncFailed("x", "model"), job=job(0)) is None
    later = RETRY.get_retry_decision(exception=SyncFailed("x", "Unreachable"), job=job(1))
    assert later is not None and later.retry_at is not None
    wait = (later.retry_at - dt.datetime.now(dt.UTC)).total_seconds()
    assert 110 < wait <= 120  # the table's minute, doubled for the second retry
    assert (
        RETRY.get_retry_decision(exception=SyncFailed("x", "Unreachable"), job=job(MAX_RUNS - 1))
        is None
    )
    busy = RETRY.get_retry_decision(exception=BudgetBusy("занято"), job=job(0))
    assert busy is not None
    # Something nobody classified is taken for passing; a held run is no failure at all.
    assert RETRY.get_retry_decision(exception=KeyError("?"), job=job(0)) is not None
    assert JOB_ERRORS["held"].decision == Decision.HOLD
