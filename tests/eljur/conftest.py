"""Fixtures: a small generated mazanka school and an ЭлЖур emulator serving it on loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from emulators.eljur.server import RunningEmulator, start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.world import World


@pytest.fixture(scope="session")
def mazanka_data() -> dict[str, Any]:
    return generate("mazanka", 30, 2, 1)


@pytest.fixture(scope="session")
def mazanka(mazanka_data: dict[str, Any]) -> World:
    return World.from_dict(mazanka_data)


def evening(world: World, days_before_end: int) -> dt.datetime:
    """21:00 local, ``days_before_end`` days before the lesson window closes."""
    end = dt.datetime.fromisoformat(str(world.meta["lessons_until"]))
    return end - dt.timedelta(days=days_before_end, hours=3)


def account(world: World, role: str) -> dict[str, Any]:
    return next(a for a in world.accounts if a["role"] == role and a.get("platform") == "eljur")


@pytest.fixture
def emulator(mazanka: World) -> Iterator[RunningEmulator]:
    with start_emulator(mazanka, as_of=evening(mazanka, 5)) as running:
        yield running
