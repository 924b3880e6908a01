"""Issue 12: every fault knob of the NetSchool, ЭлЖур and «Модуль ПОО» emulators against
its connector, on a small generated institution: the sync completes, or stops keeping only
whole records of the faultless result; a rerun without the fault completes with nothing
lost or duplicated.  The matrix itself: ``tests/reliability/fault_matrix.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from local_store.engine import make_engine, migrate
from tests.reliability import fault_matrix
from tests.reliability.fault_matrix import BAD, ELSEWHERE, MATRIX, Yardstick

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    (platform, name)
    for platform, cases in MATRIX.items()
    for name in cases
    if (platform, name) not in ELSEWHERE
]


@pytest.fixture(scope="module")
def yardsticks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Yardstick]]:
    """Each platform's faultless store contents, synced once per module."""
    folder = tmp_path_factory.mktemp("yardsticks")
    found: dict[str, Yardstick] = {}
    for platform in sorted({p for p, _ in CASES}):
        engine = make_engine(f"sqlite:///{folder / platform}.sqlite")
        migrate(engine)
        found[platform] = fault_matrix.faultless(platform, engine)
        engine.dispose()
    yield found


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("platform", sorted(MATRIX))
def test_every_knob_of_the_emulator_is_in_the_matrix(platform: str) -> None:
    offered = fault_matrix.knobs_of(platform)
    assert offered - fault_matrix.covered(platform) == set(), "knobs nobody tries"
    assert fault_matrix.covered(platform) - offered == set(), "the matrix names unknown knobs"


def test_cases_run_elsewhere_are_really_there() -> None:
    for (platform, name), (path, setting) in ELSEWHERE.items():
        assert name in MATRIX[platform], (platform, name)
        assert setting in (ROOT / path).read_text(encoding="utf-8"), (platform, name, path)


@pytest.mark.parametrize(("platform", "name"), CASES, ids=[f"{p}-{n}" for p, n in CASES])
def test_knob_against_connector(
    platform: str, name: str, store: Engine, yardsticks: dict[str, Yardstick]
) -> None:
    yardstick = yardsticks[platform]
    assert sum(len(rows) for rows in yardstick.contents.values()) > 300, "a school's worth"
    seen = fault_matrix.run_case(platform, name, store, yardstick, always_rerun=False)
    bad = {k: seen[k] for k in BAD if seen[k]}
    assert bad == {}, dict(seen)
    if MATRIX[platform][name].expect == "stops":
        assert seen["status:failed"] == 1 and seen["rerun_records"] > 300, dict(seen)


def test_a_case_on_an_emulator_of_its_own_port_matches_the_yardstick(
    store: Engine, tmp_path: Path
) -> None:
    """«Модуль ПОО» names its deployment by host and port, and each case gets an emulator of
    its own: the comparison must not count every record lost and extra for that (it did,
    and ``benchmarks.chaos --only faults`` failed every ПОО case)."""
    reference = make_engine(f"sqlite:///{tmp_path / 'poo-reference.sqlite'}")
    migrate(reference)
    yardstick = fault_matrix.faultless("poo", reference)
    reference.dispose()
    seen = fault_matrix.run_case("poo", "latency_ms", store, yardstick, always_rerun=False)
    assert seen["first_records"] > 300 and seen["first_lost"] == seen["first_extra"] == 0, seen
