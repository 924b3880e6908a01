"""Fixtures for the ПОО tests: the small college world, a running emulator, a sync config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from connectors.poo.profiles import Deployment
from emulators.poo import EmulatorConfig, RunningEmulator, start_emulator
from emulators.poo.faults import Faults
from emulators.scenario.world import World
from pipelines.poo import PooSyncConfig
from tests.poo.world_builder import ADMIN, D, build_world

TENANT = "spo_1"


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """CLI tests point structlog at the runner's stream, closed after them: undo that."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def world() -> World:
    return build_world()


@pytest.fixture
def emulator(world: World) -> Iterator[RunningEmulator]:
    running = start_emulator(EmulatorConfig(world=world, as_of=D, tenant=TENANT, faults=Faults()))
    try:
        yield running
    finally:
        running.stop()


def sync_config(
    url: str, login: str = ADMIN[0], password: str = ADMIN[1], **overrides: object
) -> PooSyncConfig:
    values: dict[str, object] = {
        "pause": 0.0,
        "timeout": 5.0,
        "attempts": 8,
        "backoff": 0.01,
        "profile_id": "tpt",
    }
    values.update(overrides)
    return PooSyncConfig(
        deployment=Deployment("test", "Томская область", url, "Asia/Tomsk", TENANT),
        login=login,
        password=password,
        **values,  # type: ignore[arg-type]
    )
