"""Reconciliation against the scenario generator's ground truth: every planted difference, nothing else."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine

from canonical.base import Platform
from emulators.scenario.generate import build
from emulators.scenario.profiles import profile as scenario_profile
from emulators.scenario.world import World, parse_moment
from local_store.discrepancies import DiscrepancyRow, list_discrepancies
from local_store.ingest import Snapshot, ingest
from local_store.reconcile import reconcile
from local_store.runs import RunStatus, finish_run, start_run

JOURNAL_KINDS = ("institution", "person", "group", "enrolment", "movement_order", "parent_link")
REGISTRY_KINDS = ("person", "group", "enrolment", "movement_order")


def ingest_generated(engine: Engine, scenario: dict[str, Any], journal_platform: str) -> World:
    world = World.from_dict(scenario)
    moment = parse_moment(world.meta["ends_at"])
    for platform, kinds in (
        (journal_platform, JOURNAL_KINDS),
        ("contingent", REGISTRY_KINDS),
        ("e_uslugi", ("expected_enrolment",)),
        ("epgu", ("epgu_request",)),
    ):
        state = world.state_as_of(moment, platform)
        records = [
            r for k in kinds for r in state.to_records(k, Platform(platform), f"{platform}.test")
        ]
        run_id = start_run(engine, platform, deployment=f"{platform}.test", observed_at=moment)
        ingest(engine, run_id, Snapshot.of(f"{platform}:{platform}.test:all", records, kinds))
        finish_run(engine, run_id, RunStatus.SUCCEEDED)
    return world


def expected_from_truth(truth: dict[str, Any]) -> Counter[tuple[str, str]]:
    """(rule, the journal-side or request id) that each planted difference must produce."""
    out: Counter[tuple[str, str]] = Counter()
    for d in truth["discrepancies"]:
        kind, entity, details = d["kind"], d["entity_id"], d.get("details", {})
        if kind == "birth_date_differs":
            out[("person.data_mismatch:birth_date", entity)] += 1
        elif kind == "registry_lags_order":
            out[("movement.order_missing_registry", details["student_id"])] += 1
            out[("enrolment.status_mismatch", details["student_id"])] += 1
        elif kind == "registry_lags_transfer":
            out[("movement.order_missing_registry", details["student_id"])] += 1
            out[("enrolment.group_mismatch", details["student_id"])] += 1
        elif kind == "registry_missing_student":
            out[("person.missing_in_registry", entity)] += 1
            out[("movement.order_missing_registry", entity)] += 1  # its enrolment order
        elif kind == "expected_enrolment_missing":
            out[("e_uslugi.not_in_journal", entity)] += 1
        elif kind == "epgu_applicant_not_parent":
            out[("epgu.parent_missing", entity)] += 1
        elif kind == "parent_without_snils":
            out[("epgu.parent_incomplete", details["epgu_request_id"])] += 1
        else:
            raise AssertionError(f"truth kind {kind} has no expected rule")
    # A parent card the policy planter left incomplete is also what an ЕПГУ answer lacks.
    incomplete = {k[1] for k in out if k[0] == "epgu.parent_incomplete"}
    for case in truth["cases"]:
        request = (case.get("details") or {}).get("epgu_request_id")
        if (
            case["rule_id"] == "epgu.parent.required_fields"
            and request
            and request not in incomplete
        ):
            incomplete.add(request)
            out[("epgu.parent_incomplete", request)] += 1
    return out


def found_key(d: DiscrepancyRow) -> tuple[str, str]:
    rule = f"{d.rule}:{d.field}" if d.rule == "person.data_mismatch" else d.rule
    if (
        d.rule in ("e_uslugi.not_in_journal", "epgu.parent_missing", "epgu.parent_incomplete")
        or d.rule == "movement.order_missing_journal"
    ):
        side = d.side_b
    else:
        side = d.side_a
    assert side is not None
    return (rule, str(side["external_id"]))


@pytest.mark.parametrize(("profile_id", "seed"), [("tpt", 1), ("talmenka", 2), ("mazanka", 3)])
def test_generated_scenario_differences_found_exactly(
    engine: Engine, profile_id: str, seed: int
) -> None:
    generated = build(profile_id, 150, 3, seed)
    journal_platform = scenario_profile(profile_id).journal_platform
    world = ingest_generated(engine, generated.scenario, journal_platform)
    result = reconcile(engine, at=parse_moment(world.meta["ends_at"]))

    found = Counter(found_key(d) for d in list_discrepancies(engine))
    assert found == expected_from_truth(generated.truth)

    # Orders the registry never received are root causes of what they explain.
    rows = list_discrepancies(engine)
    for d in rows:
        if d.rule in (
            "movement.order_missing_registry",
            "enrolment.status_mismatch",
            "enrolment.group_mismatch",
        ):
            assert d.root_cause_id is not None and "не внесён в реестр" in (
                d.root_cause_title or ""
            ), d.message
    lagging = [t for t in generated.truth["discrepancies"] if t["kind"].startswith("registry_lags")]
    assert all(c.details["consequences"] == 2 for c in result.causes)
    assert len(result.causes) == len(lagging) + 1  # + the unsent enrolment order
