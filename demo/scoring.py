"""The scenario's planted ground truth: reading it, and the per-rule score's shape.

The truth file (``<scenario>.truth.json``, format ``sverka-scenario-truth``)
lists per rule the planted cases (expected violated, approved, or refused) and
the near misses (expected met).  The scoring itself, one for the demo, the
check command and the tests, is ``demo.truth.score_by_signature``: a violation
counts as found when its rule and natural signature match a case; every other
violation of a rule the truth covers is a false positive.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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


EXPECTED_VERDICTS = ("violated", "possibly_violated")
"""Truth verdicts that call for a violation (``approved`` and near misses do not)."""


def expected_cases(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The truth's cases that the engine should report as (possibly) violated."""
    return [
        case
        for case in truth.get("cases", [])
        if case.get("expected", "violated") in EXPECTED_VERDICTS
    ]


def tally(
    rules: Iterable[str],
    expected: Mapping[str, Iterable[str]],
    found: Mapping[str, Iterable[str]],
) -> list[RuleScore]:
    """Per rule: multisets of labels compared (a label twice on both sides matches twice).

    Callers that decide matches by ids pass the ids; callers that match by
    other means give a matched pair the same label.
    """
    out = []
    for rule_id in sorted(set(rules) | set(expected)):
        exp, got = Counter(expected.get(rule_id, ())), Counter(found.get(rule_id, ()))
        out.append(
            RuleScore(
                rule_id,
                expected=sum(exp.values()),
                found=sum(got.values()),
                true_positive=sum((exp & got).values()),
                missed=sorted((exp - got).elements()),
                extra=sorted((got - exp).elements()),
            )
        )
    return out
