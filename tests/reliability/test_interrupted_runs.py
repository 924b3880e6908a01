"""Defect 4 of issue 12: a run whose process was killed is marked interrupted at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import Engine, update

from local_store.runs import RunStatus, get_run, list_runs, mark_interrupted, start_run
from local_store.schema import sync_run

ROOT = Path(__file__).resolve().parents[2]
SVERKA = str(Path(sys.executable).with_name("sverka"))


def test_a_killed_run_is_marked_interrupted_and_a_live_one_is_not(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent(
        f"""
        import os, signal
        from local_store.engine import make_engine
        from local_store.runs import start_run
        engine = make_engine({url!r})
        start_run(engine, "netschool", deployment="ns", scope="pull")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    died = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr
    (dead,) = list_runs(engine)
    assert dead.status is RunStatus.RUNNING

    mine = start_run(engine, "poo", deployment="poo")  # this process: alive
    old = start_run(engine, "netschool", deployment="old")
    with engine.begin() as conn:  # opened by a version that recorded no owner
        conn.execute(update(sync_run).where(sync_run.c.id == old).values(host=None, pid=None))

    assert sorted(mark_interrupted(engine)) == sorted([dead.id, old])
    after = get_run(engine, dead.id)
    assert after.status is RunStatus.INTERRUPTED
    assert after.error and "завершился, не закончив" in after.error
    assert after.finished_at is not None
    assert get_run(engine, old).status is RunStatus.INTERRUPTED
    assert get_run(engine, mine).status is RunStatus.RUNNING
    assert mark_interrupted(engine) == [], "marking is idempotent"


def test_status_marks_them_at_the_next_start(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    script = textwrap.dedent(
        f"""
        import os, signal
        from local_store.engine import open_store
        from local_store.runs import start_run
        engine = open_store({str(db)!r})
        start_run(engine, "netschool", deployment="ns", scope="pull")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    status = subprocess.run(
        [SVERKA, "--db", str(db), "status"], capture_output=True, text=True, timeout=120
    )
    assert status.returncode == 0, status.stderr
    assert "прерван" in status.stdout and "выполняется" not in status.stdout
