"""Defect 3 of issue 12: a kill -9 during the first migrations must not leave a broken store.

A subprocess runs the migrations and kills itself at the N-th DDL statement;
then the installed ``sverka status`` and ``sverka init`` must work and leave
the same schema an uninterrupted run creates.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from local_store.engine import make_engine, migrate
from tests.conftest import BACKENDS

ROOT = Path(__file__).resolve().parents[2]
SVERKA = str(Path(sys.executable).with_name("sverka"))
KILL_POINTS = (40,)
"""Deep inside the first migrations; ``test_fault_suite`` kills at random points too."""


def _url(backend: str, tmp_path: Path, request: pytest.FixtureRequest, tag: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{tag}.sqlite'}"
    server = request.getfixturevalue("pg_server_url")
    schema = f"k_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{server}?options=-csearch_path%3D{schema}"


def _tables(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _sverka(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SVERKA, "--db", url, *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_during_first_migration_then_status_and_init(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clean = _url(backend, tmp_path, request, "clean")
    reference = make_engine(clean)
    migrate(reference)
    reference.dispose()
    expected = _tables(clean)
    for kill_at in KILL_POINTS:
        url = _url(backend, tmp_path, request, f"killed{kill_at}")
        died = subprocess.run(
            [sys.executable, "-m", "tests.reliability.killer", url, str(kill_at)],
            cwd=ROOT,
            capture_output=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert died.returncode == -signal.SIGKILL, died.stderr
        assert _tables(url) == set(), "the first migration is one transaction: nothing is left"
        status = _sverka(url, "status")
        assert "Traceback" not in status.stderr, status.stderr
        assert status.returncode in (0, 1), status.stderr
        assert "already exists" not in status.stdout + status.stderr
        init = _sverka(url, "init")
        assert init.returncode == 0, (kill_at, init.stdout, init.stderr)
        assert _tables(url) == expected, kill_at
        again = _sverka(url, "status")
        assert again.returncode == 0 and "актуальна" in again.stdout, again.stdout


def test_a_store_half_created_by_an_older_version_recovers(tmp_path: Path) -> None:
    """Stores left by non-transactional DDL (tables, no revision, no rows) repair themselves."""
    url = f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE sync_run (id INTEGER PRIMARY KEY, source TEXT)"))
        conn.execute(text("CREATE TABLE entity (id INTEGER PRIMARY KEY)"))
    init = _sverka(url, "init")
    assert init.returncode == 0, init.stderr
    assert "sync_run" in _tables(url) and "alembic_version" in _tables(url)

    with_data = f"sqlite:///{tmp_path / 'legacy_data.sqlite'}"
    engine = create_engine(with_data)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE sync_run (id INTEGER PRIMARY KEY, source TEXT)"))
        conn.execute(text("INSERT INTO sync_run VALUES (1, 'netschool')"))
    refused = _sverka(with_data, "init")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "есть данные" in refused.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_run")).scalar() == 1
    engine.dispose()
