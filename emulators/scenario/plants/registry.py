"""The planters' registry: ``@planter`` and ``@preparer`` fill it, ``run_planters`` runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulators.scenario.context import Context

Planter = Callable[["Context"], None]

PLANTERS: dict[str, Planter] = {}
PREPARERS: dict[str, Planter] = {}


def planter(rule_id: str) -> Callable[[Planter], Planter]:
    def register(func: Planter) -> Planter:
        if rule_id in PLANTERS:
            raise ValueError(f"two planters for {rule_id}")
        PLANTERS[rule_id] = func
        return func

    return register


def preparer(rule_id: str) -> Callable[[Planter], Planter]:
    def register(func: Planter) -> Planter:
        PREPARERS[rule_id] = func
        return func

    return register


FIRST = ("marks.after_outage.deadline",)
"""Planters that reserve whole days (an outage) run before the others pick entries."""


def run_planters(ctx: Context, rules: frozenset[str]) -> None:
    for rule in sorted(rules, key=lambda r: (r not in FIRST, r)):
        plant = PLANTERS.get(rule)
        if plant is not None:
            plant(ctx)
