"""Generated scenarios shared by the scenario tests (generation is deterministic, so cache it)."""

from __future__ import annotations

from functools import cache

from emulators.scenario.generate import Generated, build


@cache
def generated(profile: str, students: int = 120, weeks: int = 8, seed: int = 1) -> Generated:
    return build(profile, students, weeks, seed)
