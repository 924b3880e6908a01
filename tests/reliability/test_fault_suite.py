"""The standing fault suite at a small size (``benchmarks/chaos.py`` runs it large)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import BACKENDS
from tests.reliability import faults


def test_reader_fuzz(tmp_path: Path) -> None:
    seen = faults.fuzz_reader(200, tmp_path)
    assert not [k for k in seen if k.startswith("unhandled")], seen
    assert seen["refused"] > 0


def test_local_mapper_fuzz() -> None:
    seen = faults.fuzz_local_mapper(200)
    assert not [k for k in seen if k.startswith("unhandled")], seen
    assert seen["refused"] > 0 and seen["mapped"] > 0


def test_epgu_never_wrongly_served() -> None:
    seen = faults.epgu_trials(2000)
    assert seen["wrongly_served"] == 0, seen
    assert seen["served"] > 0, "the trials include rightful applications"


def test_hostile_xml_all_refused() -> None:
    seen = faults.hostile_xml()
    assert seen["refused"] == seen["inputs"] >= 5, seen


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_trials(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":

        def make_url(tag: str) -> str:
            return f"sqlite:///{tmp_path / f'{tag}.sqlite'}"
    else:
        server = request.getfixturevalue("pg_server_url")

        def make_url(tag: str) -> str:
            schema = f"c_{uuid.uuid4().hex[:10]}"
            admin = create_engine(server)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
            return f"{server}?options=-csearch_path%3D{schema}"

    seen = faults.kill_trials(2, make_url)
    assert seen["trials"] == 2 and seen["killed"] >= 1, seen
    bad = faults.zero(seen, "lost", "extra", "duplicated", "half_written", "half_written_schema")
    assert bad == dict.fromkeys(bad, 0), seen
