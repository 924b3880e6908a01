"""Same arguments, same bytes; another seed, another world."""

from __future__ import annotations

import gzip
from pathlib import Path

from emulators.scenario.generate import build
from emulators.scenario.writer import to_bytes, truth_path, write_scenario


def test_same_seed_same_bytes_and_gzip(tmp_path: Path) -> None:
    first = build("tpt", 80, 3, 5)
    second = build("tpt", 80, 3, 5)
    assert to_bytes(first.scenario) == to_bytes(second.scenario)
    assert to_bytes(first.truth) == to_bytes(second.truth)
    a, b = tmp_path / "a.json.gz", tmp_path / "b" / "a.json.gz"
    write_scenario(a, first.scenario, first.truth)
    write_scenario(b, second.scenario, second.truth)
    assert a.read_bytes() == b.read_bytes()
    assert gzip.decompress(a.read_bytes()) == to_bytes(first.scenario)
    assert truth_path(a).read_bytes() == truth_path(b).read_bytes()


def test_other_seed_other_world() -> None:
    one = build("mazanka", 80, 3, 1).scenario
    two = build("mazanka", 80, 3, 2).scenario
    assert to_bytes(one) != to_bytes(two)
    assert [r[2] for r in one["tables"]["person"]["rows"]] != [
        r[2] for r in two["tables"]["person"]["rows"]
    ]


def test_truth_path_beside_the_scenario() -> None:
    assert truth_path("x/college.json") == Path("x/college.truth.json")
    assert truth_path("x/college.json.gz") == Path("x/college.truth.json")
