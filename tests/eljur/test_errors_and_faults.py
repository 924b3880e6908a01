"""Wrong credentials and a misbehaving server: one Russian sentence, nothing half-written."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import Engine

from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from local_store.history import count_as_of
from local_store.runs import RunStatus, get_run
from pipelines.eljur import sync_eljur
from tests.eljur.conftest import account, evening
from tests.eljur.expect import KINDS, expected, stored
from tests.eljur.test_pull_equals_world import config_for

DATA_KINDS = ["person", "group", "lesson", "mark", "absence", "homework"]


def _nothing_written(engine: Engine) -> bool:
    return not any(count_as_of(engine, DATA_KINDS).values())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("what", "fragment"),
    [
        ("devkey", "ключ разработчика (devkey)"),
        ("vendor", "нет школы «other» (vendor)"),
        ("password", "не принял логин или пароль"),
    ],
)
def test_wrong_devkey_vendor_or_password_is_one_russian_sentence(
    engine: Engine, mazanka: World, emulator: RunningEmulator, what: str, fragment: str
) -> None:
    deputy = account(mazanka, "deputy")
    devkey = "wrong" if what == "devkey" else DEFAULT_DEVKEY
    password = "wrong" if what == "password" else str(deputy["password"])
    vendor = "other" if what == "vendor" else "mazanka"
    outcome = sync_eljur(engine, config_for(emulator, mazanka, vendor=vendor), devkey, password)
    assert outcome.status is RunStatus.FAILED
    assert outcome.error is not None and fragment in outcome.error
    assert "\n" not in outcome.error and "Traceback" not in outcome.error
    assert password not in outcome.error or what != "password"
    assert get_run(engine, outcome.run_id).status is RunStatus.FAILED
    assert _nothing_written(engine)


def test_a_dead_host_is_one_russian_sentence(engine: Engine, mazanka: World) -> None:
    deputy = account(mazanka, "deputy")
    port = _free_port()

    class Dead:
        url = f"http://127.0.0.1:{port}"

    config = config_for(Dead(), mazanka)  # type: ignore[arg-type]
    outcome = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]))
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == ("сервер ЭлЖур 127.0.0.1 недоступен: не удалось установить соединение")
    assert _nothing_written(engine)


KNOBS = [
    {"error_every": 3},
    {"throttle_every": 4, "retry_after": 0},
    {"drop_every": 5},
    {"malformed_every": 4},
    {"session_expiry_after": 3},
]


@pytest.mark.parametrize("knobs", KNOBS, ids=[next(iter(k)) for k in KNOBS])
def test_fault_knobs_are_survived_and_nothing_is_duplicated(
    engine: Engine, mazanka: World, knobs: dict[str, int]
) -> None:
    deputy = account(mazanka, "deputy")
    moment = evening(mazanka, 6)
    with start_emulator(mazanka, as_of=moment) as emu:
        emu.set_faults(**knobs)
        config = config_for(emu, mazanka)
        first = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=True)
        assert first.status is RunStatus.SUCCEEDED, first.error
        assert first.retries + first.relogins > 0, "the knob actually bit"
        again = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=True)
    assert again.status is RunStatus.SUCCEEDED and again.counts is not None
    assert all(
        c["added"] == c["changed"] == c["removed"] == 0 for c in again.counts.as_dict().values()
    )
    want, have = expected(mazanka, moment), stored(engine)
    for kind in KINDS:
        assert have[kind] == want[kind], kind


def test_a_server_going_down_midway_keeps_only_complete_scopes_and_a_rerun_completes(
    engine: Engine, mazanka: World
) -> None:
    deputy = account(mazanka, "deputy")
    moment = evening(mazanka, 6)
    with start_emulator(mazanka, as_of=moment) as emu:
        config = config_for(emu, mazanka)
        # timetables of all 11 classes first (3 + 11 requests), then 2 a class: fails at the 4th
        emu.set_faults(fail_after=20)
        broken = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=True)
        assert broken.status is RunStatus.FAILED
        assert broken.error == "сервер ЭлЖур 127.0.0.1 ответил ошибкой 500 на getschedule" or (
            broken.error is not None and "ошибкой 500" in broken.error
        )
        partial = stored(engine)
        want = expected(mazanka, moment)
        # Every class that was stored is stored whole; the rest is absent, not half there.
        stored_classes = {row[1] for row in partial["lesson"]}
        assert stored_classes and stored_classes != {row[1] for row in want["lesson"]}
        assert partial["lesson"] == +type(want["lesson"])(
            {r: n for r, n in want["lesson"].items() if r[1] in stored_classes}
        )
        assert partial["person"] == want["person"], "the structure scope is complete"
        emu.reset_faults()
        emu.state.faults.fail_after = 0
        rerun = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=True)
    assert rerun.status is RunStatus.SUCCEEDED
    have = stored(engine)
    for kind in KINDS:
        assert have[kind] == want[kind], kind
