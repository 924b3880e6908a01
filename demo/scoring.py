"""Precision and recall of the engine against a scenario's planted ground truth.

The truth file (``<scenario>.truth.json``, format ``sverka-scenario-truth``)
lists per rule the planted cases (expected violated or possibly violated) and
the near misses (expected met).  A violation counts as found when its rule and
entity id match a case; every other violation of a rule the truth covers is a
false positive.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
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


def score(engine: Engine, truth: dict[str, Any], profile_id: str | None = None) -> list[RuleScore]:
    """Per planted rule of the truth: expected cases, violations found, matches.

    A case expected ``approved`` matches only a violation in the approved
    exception state; rules the generator could not plant (``not_planted``) are
    left out.
    """
    skipped = {n["rule_id"] for n in truth.get("not_planted", [])}
    rules = [r for r in truth.get("rules") or [] if r not in skipped]
    expected: dict[str, dict[str, str]] = defaultdict(dict)
    for case in truth.get("cases", []):
        wanted = case.get("expected", "violated")
        if wanted in ("violated", "possibly_violated", "approved"):
            slot = expected[case["rule_id"]]
            entity = str(case["entity_id"])
            if slot.get(entity) != "violated":
                slot[entity] = "approved" if wanted == "approved" else "violated"
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for v in list_violations(engine, profile_id=profile_id or truth.get("profile")):
        if v["status"] == "resolved":
            continue
        state = "approved" if v["status"] == "approved" else "violated"
        found[v["rule_id"]][str(v["entity_key"])] = state
    out = []
    for rule_id in sorted((set(rules) | set(expected)) - skipped):
        exp, got = expected.get(rule_id, {}), found.get(rule_id, {})
        hits = {e for e, state in exp.items() if got.get(e) == state}
        out.append(
            RuleScore(
                rule_id,
                expected=len(exp),
                found=len(got),
                true_positive=len(hits),
                missed=sorted(set(exp) - hits),
                extra=sorted(set(got) - hits),
            )
        )
    return out
