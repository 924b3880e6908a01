"""Planted violations: one function per rule id, registered with ``@planter``.

A planter bends the generated world so that the rule is broken a few times
(and, at the boundary, *not* broken: near misses), and writes each case to the
ground truth.  A ``@preparer`` runs before the journal is generated, for rules
that need the journal shaped rather than edited afterwards (a student with no
marks, lessons not given).  The policy engine's authors adjust these functions
when their reading of a rule changes; the registry keeps that local.
"""

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


# the planter modules register themselves on import
from emulators.scenario.plants import (  # noqa: E402
    contingent,
    corrections,
    lessons,
    marks,
    parents,
    plans,
)

__all__ = [
    "PLANTERS",
    "PREPARERS",
    "contingent",
    "corrections",
    "lessons",
    "marks",
    "parents",
    "plans",
    "planter",
    "preparer",
    "run_planters",
]
