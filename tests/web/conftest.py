"""The web tests' store and server: built once per backend, served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.web.world import build_contingent_store, build_store, make_accounts, running


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[str]:
    build_store(engine)
    accounts = make_accounts(tmp_path / "users.json")
    with running(engine, accounts) as url:
        yield url


@pytest.fixture
def contingent_site(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The pages over the reconciliation world; yields the URL and the held run's id."""
    held_run = build_contingent_store(engine)
    accounts = make_accounts(tmp_path / "users.json")
    with running(engine, accounts) as url:
        yield url, held_run
