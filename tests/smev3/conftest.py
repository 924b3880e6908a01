"""Fixtures: a small world, the СМЭВ emulator on a loopback port, a seeded store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine

from canonical.base import Platform
from emulators.scenario.world import World
from emulators.smev3.app import Emulator, build, create_app, running
from emulators.smev3.broker import BrokerConfig
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from pipelines.smev3.common import Smev3Options
from tests.smev3.worlds import NOW, ORG, small_world

JOURNAL = "school.test"
JOURNAL_KINDS = (
    "institution",
    "person",
    "group",
    "enrolment",
    "movement_order",
    "subject",
    "lesson",
    "mark",
    "absence",
    "homework",
    "parent_link",
)


@dataclass
class Running:
    emulator: Emulator
    url: str

    @property
    def smev(self) -> str:
        return f"{self.url}/smev"

    def control(self, method: str, path: str, **kwargs: object) -> dict:  # type: ignore[type-arg]
        response = httpx.request(method, f"{self.url}/control/{path}", timeout=10, **kwargs)  # type: ignore[arg-type]
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def options(self, **overrides: object) -> Smev3Options:
        values: dict[str, object] = {
            "url": self.smev,
            "org_code": ORG,
            "deployment": "smev.test",
            "backoff_base": 0.05,
            "backoff_cap": 0.2,
        }
        values.update(overrides)
        return Smev3Options(**values)  # type: ignore[arg-type]


@pytest.fixture
def world() -> World:
    return small_world()


def start(world: World, **config: object) -> Iterator[Running]:
    emulator = build(world, as_of=NOW, org_code=ORG, config=BrokerConfig(**config))  # type: ignore[arg-type]
    with running(create_app(emulator)) as url:
        yield Running(emulator, url)


@pytest.fixture
def smev(world: World) -> Iterator[Running]:
    """The emulator with mock signatures and synchronous validation."""
    yield from start(world, signature="mock")


def seed_journal(engine: Engine, world: World, moment: dt.datetime = NOW) -> int:
    """Put the world's journal into the store as a NetSchool sync would have."""
    state = world.state_as_of(moment, platform="netschool")
    run_id = start_run(engine, "netschool", deployment=JOURNAL, scope="seed", observed_at=moment)
    snapshots = [
        Snapshot.of(
            f"netschool:{JOURNAL}:{kind}",
            state.to_records(kind, Platform.NETSCHOOL, JOURNAL),
            [kind],
        )
        for kind in JOURNAL_KINDS
    ]
    ingest(engine, run_id, snapshots)
    finish_run(engine, run_id, RunStatus.SUCCEEDED)
    return run_id
