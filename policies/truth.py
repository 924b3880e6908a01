"""Precision and recall of the engine against a scenario's planted ground truth.

The truth file (``<scenario>.truth.json``, format ``sverka-scenario-truth``)
lists per rule the planted cases (expected violated or possibly violated) and
the near misses (expected met).  A violation counts as found when its rule and
entity id match a case; every other violation of a rule the truth covers is a
false positive.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from local_store.violations import list_violations


class TruthError(ValueError):
    """A truth file that cannot be read; the message is Russian."""


@dataclass
class RuleScore:
    rule_id: str
    expected: int = 0
    found: int = 0
    true_positive: int = 0
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positive / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.expected if self.expected else 1.0


def load_truth(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TruthError(f"файл эталона не найден: {path}") from None
    except json.JSONDecodeError as exc:
        raise TruthError(f"файл эталона {path} не читается как JSON: {exc}") from None
    if data.get("format") != "sverka-scenario-truth":
        raise TruthError(f"{path}: это не эталон сценария (нет format = sverka-scenario-truth)")
    return dict(data)


def score(engine: Engine, truth: dict[str, Any], profile_id: str | None = None) -> list[RuleScore]:
    """Per rule of the truth: expected cases, violations found, matches."""
    rules = list(truth.get("rules") or [])
    expected: dict[str, set[str]] = defaultdict(set)
    for case in truth.get("cases", []):
        if case.get("expected", "violated") in ("violated", "possibly_violated"):
            expected[case["rule_id"]].add(str(case["entity_id"]))
    found: dict[str, set[str]] = defaultdict(set)
    for v in list_violations(engine, profile_id=profile_id or truth.get("profile")):
        if v["status"] == "resolved":
            continue
        found[v["rule_id"]].add(str(v["entity_key"]))
    out = []
    for rule_id in sorted(set(rules) | set(expected)):
        exp, got = expected.get(rule_id, set()), found.get(rule_id, set())
        out.append(
            RuleScore(
                rule_id,
                expected=len(exp),
                found=len(got),
                true_positive=len(exp & got),
                missed=sorted(exp - got),
                extra=sorted(got - exp),
            )
        )
    return out
