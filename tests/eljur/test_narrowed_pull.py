"""A pull narrowed to some classes (the evidence plan's pull at a bell) reads and writes
only those classes: the other classes' records stay as the last whole pull saw them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.server import start_emulator
from emulators.scenario.world import World
from local_store.runs import RunStatus
from pipelines.eljur import sync_eljur
from tests.eljur.conftest import account, evening
from tests.eljur.test_pull_equals_world import config_for


def test_a_pull_narrowed_to_one_class_removes_nothing_and_asks_less(
    engine: Engine, mazanka: World
) -> None:
    password = str(account(mazanka, "deputy")["password"])
    first_at = evening(mazanka, 6)
    names = sorted(str(g["name"]) for g in mazanka.state_as_of(first_at).kind("group").values())
    with start_emulator(mazanka, as_of=first_at) as emu:
        whole = sync_eljur(engine, config_for(emu, mazanka), DEFAULT_DEVKEY, password, full=True)
        assert whole.status is RunStatus.SUCCEEDED, whole.error
        emu.set_clock(first_at + dt.timedelta(days=3))
        narrowed = sync_eljur(
            engine,
            config_for(emu, mazanka, only_classes=frozenset(names[:1])),
            DEFAULT_DEVKEY,
            password,
        )
    assert narrowed.status is RunStatus.SUCCEEDED and narrowed.counts is not None
    assert len(names) > 1
    counts = narrowed.counts.as_dict()
    assert all(c.get("removed", 0) == 0 for c in counts.values() if isinstance(c, dict)), counts
    assert narrowed.requests < whole.requests / 2
