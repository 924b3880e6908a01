"""The scheduler's NetSchool job pulls just the plan's classes when the plan names them.

``sverka schedule plan`` puts a sync at some classes' deadline; the job that runs it
passes ``classes`` (NetSchool class ids) and the pipeline reads only those classes'
current week, as the demo does.  A class that is not a number is a Russian error
before any request is made.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from emulators.netschool.ids import ns_id
from emulators.netschool.server import RunningEmulator
from local_store.schema import run_scope, sync_run
from pipelines.netschool import PASSWORD_ENV, class_ids
from scheduler.tasks import sync_source
from tests.netschool.worlds import DEPLOYMENT, DEPUTY_LOGIN, DEPUTY_PASSWORD, D


def _config(tmp_path: Path, emulator: RunningEmulator) -> Path:
    path = tmp_path / "ns.toml"
    path.write_text(
        "[netschool]\n"
        f'url = "{emulator.url}"\n'
        f'deployment = "{DEPLOYMENT}"\n'
        f"school_id = {emulator.state.school().id}\n"
        f'login = "{DEPUTY_LOGIN}"\n'
        'timezone = "Asia/Barnaul"\n'
        'profile = "talmenka"\n'
        "backoff_initial = 0.01\n"
        "backoff_max = 0.05\n",
        encoding="utf-8",
    )
    return path


def _scopes(engine: Engine, run_id: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(select(run_scope.c.scope).where(run_scope.c.run_id == run_id)).scalars()
        )


def test_job_with_classes_pulls_only_those_classes(
    engine: Engine, emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, DEPUTY_PASSWORD)
    config = _config(tmp_path, emulator)
    sync_source(engine, {"source": "netschool", "config": str(config), "full": True}, D)
    wanted = ns_id("group", "g5a")
    sync_source(
        engine,
        {"source": "netschool", "config": str(config), "classes": str(wanted)},
        D,
    )
    with engine.connect() as conn:
        last = conn.execute(select(func.max(sync_run.c.id))).scalar_one()
    seen = _scopes(engine, last)
    assert seen and all(":journal:" in s for s in seen), seen
    assert {int(s.split(":")[-2]) for s in seen} == {wanted}


def test_classes_that_are_not_ids_are_refused_in_russian() -> None:
    assert class_ids(None) is None and class_ids("") is None
    assert class_ids("101, 102") == [101, 102] and class_ids([7]) == [7]
    with pytest.raises(ValueError, match="не номер класса NetSchool"):
        class_ids("5А")
