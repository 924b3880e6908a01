"""Fixtures: the test world, a running emulator on loopback, a sync config pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.netschool.client import ClientSettings
from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from pipelines.netschool import NetSchoolConfig
from pipelines.window import Incremental
from tests.netschool.worlds import DEPLOYMENT, DEPUTY_LOGIN, D, build_world


@pytest.fixture(scope="session")
def world() -> World:
    return build_world()


@pytest.fixture
def emulator(world: World) -> Iterator[RunningEmulator]:
    with start_emulator(world, as_of=D) as running:
        yield running


def config_for(emu: RunningEmulator, **client: float | int) -> NetSchoolConfig:
    settings = {"backoff_initial": 0.01, "backoff_max": 0.05, "timeout": 5.0, **client}
    return NetSchoolConfig(
        base_url=emu.url,
        deployment=DEPLOYMENT,
        school_id=emu.state.school().id,
        login=DEPUTY_LOGIN,
        timezone="Asia/Barnaul",
        profile_id="talmenka",
        region="Алтайский край",
        window=Incremental.last_weeks(1),
        client=ClientSettings(**settings),  # type: ignore[arg-type]
    )
