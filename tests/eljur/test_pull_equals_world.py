"""A generated mazanka school through the ЭлЖур emulator and connector, into the store."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from connectors.eljur.client import ClientSettings
from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from local_store.runs import RunStatus
from pipelines.eljur import EljurConfig, sync_eljur
from tests.eljur.conftest import account, evening
from tests.eljur.expect import KINDS, diff, expected, stored

FAST = ClientSettings(class_pause=0.0, backoff=0.01, max_wait=0.05, timeout=5.0)


def config_for(emu: RunningEmulator, world: World, **overrides: object) -> EljurConfig:
    deputy = account(world, "deputy")
    values: dict[str, object] = {
        "base_url": f"{emu.url}/apiv3",
        "vendor": "mazanka",
        "deployment": "mazanka.eljur.ru",
        "login": str(deputy["login"]),
        "timezone": world.timezone,
        "profile_id": "mazanka",
        "client": FAST,
        **overrides,
    }
    return EljurConfig(**values)  # type: ignore[arg-type]


def test_a_full_pull_equals_the_scenario_and_a_later_pull_records_exactly_its_changes(
    engine: Engine, mazanka: World
) -> None:
    deputy = account(mazanka, "deputy")
    first_at = evening(mazanka, 6)
    second_at = first_at + dt.timedelta(days=3)
    with start_emulator(mazanka, as_of=first_at) as emu:
        config = config_for(emu, mazanka)
        first = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=True)
        assert first.status is RunStatus.SUCCEEDED, first.error
        want = expected(mazanka, first_at)
        have = stored(engine)
        for kind in KINDS:
            assert have[kind] == want[kind], kind
        assert sum(want["mark"].values()) > 300 and sum(want["absence"].values()) > 20
        assert first.observed_at == first_at, "the observation is dated by the server's clock"
        emu.set_clock(second_at)
        second = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=True)
    assert second.status is RunStatus.SUCCEEDED and second.counts is not None
    after = expected(mazanka, second_at)
    counts = second.counts.as_dict()
    for kind, key_len in (("lesson", 1), ("homework", 1), ("absence", 1)):
        added, changed, removed = diff(want[kind], after[kind], key_len)
        got = counts.get(kind, {"added": 0, "changed": 0, "removed": 0})
        assert (got["added"], got["changed"], got["removed"]) == (added, changed, removed), kind
    # Marks: keyed by (student, lesson, kind); period marks share the table.
    added, changed, removed = diff(want["mark"], after["mark"], 4)
    fa, fc, fr = diff(want["final"], after["final"], 3)
    got = counts["mark"]
    assert (got["added"], got["changed"], got["removed"]) == (
        added + fa,
        changed + fc,
        removed + fr,
    )
    assert counts["lesson"]["changed"] > 0 and counts["mark"]["added"] > 0
    have = stored(engine)
    for kind in KINDS:
        assert have[kind] == after[kind], kind
    # Versions: what the first run saw unchanged keeps its first run; the new carry the second.
    in_first = stored(engine, first.run_id)
    for kind in KINDS:
        assert in_first[kind] == want[kind], kind
