"""Planted violations: one function per rule id, registered with ``@planter``.

A planter bends the generated world so that the rule is broken a few times
(and, at the boundary, *not* broken: near misses), and writes each case to the
ground truth.  A ``@preparer`` runs before the journal is generated, for rules
that need the journal shaped rather than edited afterwards (a student with no
marks, lessons not given).  The policy engine's authors adjust these functions
when their reading of a rule changes; the registry keeps that local.
"""

from __future__ import annotations

# the planter modules register themselves on import
from emulators.scenario.plants import (
    contingent,
    corrections,
    lessons,
    marks,
    parents,
    plans,
)
from emulators.scenario.plants.registry import (
    PLANTERS,
    PREPARERS,
    Planter,
    planter,
    preparer,
    run_planters,
)

__all__ = [
    "PLANTERS",
    "PREPARERS",
    "Planter",
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
