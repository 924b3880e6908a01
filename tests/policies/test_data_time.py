"""Data time, not wall time: checks, reconciliation, exchanges and reports are dated by the
observations that showed them; the registry match waits for a registry pull."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from canonical.base import Platform, Record, SourceRef
from canonical.registry import record_type
from local_store.reconcile import reconcile
from local_store.runs import RunStatus, finish_run, get_run, list_runs, start_run
from local_store.violations import list_violations
from pipelines.smev3.common import RunLog, Smev3Options
from policies.engine import run_check
from policies.profiles import load_profile
from reports.deputy import deputy_report_from_store
from tests.policies.store import DEPLOYMENT, rec, sync

UTC = dt.UTC
# An autumn long before the wall clock: any wall-clock leak would land years later.
FIRST = dt.datetime(2024, 10, 14, 8, tzinfo=UTC)
SECOND = dt.datetime(2024, 10, 16, 8, tzinfo=UTC)


def _registry(kind: str, external_id: str, **fields: Any) -> Record:
    return record_type(kind).model_validate(
        {
            **fields,
            "source": SourceRef(
                platform=Platform.CONTINGENT, deployment="registry", external_id=external_id
            ),
        }
    )


def _journal() -> dict[str, list[Record]]:
    year = rec(
        "school_year",
        "Y",
        name="2024/2025",
        starts_on=dt.date(2024, 9, 1),
        ends_on=dt.date(2025, 6, 30),
    )
    group = rec("group", "G1", name="ТМ-21", group_kind="academic_group", year_id="Y")
    people = [
        rec(
            "person",
            f"P{i}",
            last_name=last,
            first_name="Иван",
            birth_date=dt.date(2007, 1, i),
            roles=["student"],
        )
        for i, last in ((1, "Петров"), (2, "Сидоров"))
    ]
    enrolments = [
        rec(
            "enrolment",
            f"E{i}",
            student_id=f"P{i}",
            group_id="G1",
            status="studying",
            starts_on=dt.date(2024, 9, 1),
        )
        for i in (1, 2)
    ]
    return {"structure": [year, group], "people": [*people, *enrolments]}


def _failed_run_on_the_wall_clock(engine: Engine) -> None:
    """A sync that failed before the server told its time: the run carries the wall clock."""
    run_id = start_run(engine, "poo", deployment=DEPLOYMENT)
    finish_run(engine, run_id, RunStatus.FAILED, error="сервер недоступен")


def test_check_and_review_windows_follow_the_data_not_the_wall_clock(engine: Engine) -> None:
    tpt = load_profile("tpt")  # data reviewed at least once a quarter (4.5)
    sync(engine, FIRST, _journal())
    sync(engine, SECOND, _journal())
    _failed_run_on_the_wall_clock(engine)
    report = run_check(engine, tpt, rules=["contingent.data.review"])
    assert report.data_as_of == SECOND
    # the quarter September–November 2024 is not over on 16.10.2024: nothing to flag
    assert list_violations(engine, rule_id="contingent.data.review") == []


def test_violations_are_detected_and_resolved_at_the_data_time(engine: Engine) -> None:
    tpt = load_profile("tpt")
    sync(engine, FIRST, _journal())
    _failed_run_on_the_wall_clock(engine)
    registry = {
        "registry": [
            _registry(
                "person",
                "R1",
                last_name="Петров",
                first_name="Иван",
                birth_date=dt.date(2007, 1, 1),
                roles=["student"],
            ),
            _registry(
                "enrolment",
                "RE1",
                student_id="R1",
                group_id="RG",
                status="studying",
                starts_on=dt.date(2024, 9, 1),
            ),
        ]
    }
    _sync_registry(engine, SECOND, registry)
    run_check(engine, tpt, rules=["contingent.registry.match"])
    [missing] = list_violations(engine, rule_id="contingent.registry.match")
    assert missing["entity_key"].endswith("P2") or "P2" in str(missing["entity_key"])
    assert missing["first_detected_at"].replace(tzinfo=UTC) == SECOND
    # the registry learns of the second student two days later: resolved at that pull's time
    later = SECOND + dt.timedelta(days=2)
    registry["registry"] += [
        _registry(
            "person",
            "R2",
            last_name="Сидоров",
            first_name="Иван",
            birth_date=dt.date(2007, 1, 2),
            roles=["student"],
        ),
        _registry(
            "enrolment",
            "RE2",
            student_id="R2",
            group_id="RG",
            status="studying",
            starts_on=dt.date(2024, 9, 1),
        ),
    ]
    _sync_registry(engine, later, registry)
    run_check(engine, tpt, rules=["contingent.registry.match"])
    [resolved] = list_violations(engine, rule_id="contingent.registry.match")
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"].replace(tzinfo=UTC) == later
    # the deputy's report is dated by the data too
    assert deputy_report_from_store(engine).generated_at == later


def test_no_registry_match_before_a_registry_pull(engine: Engine) -> None:
    tpt = load_profile("tpt")
    sync(engine, FIRST, _journal())
    run_check(engine, tpt, rules=["contingent.registry.match"])
    assert list_violations(engine, rule_id="contingent.registry.match") == []


def test_reconciliation_and_exchanges_dated_by_the_data(engine: Engine) -> None:
    sync(engine, FIRST, _journal())
    _failed_run_on_the_wall_clock(engine)
    reconcile(engine)
    [run] = [r for r in list_runs(engine, source="reconcile")]
    assert run.observed_at.replace(tzinfo=UTC) == FIRST
    moment = SECOND + dt.timedelta(hours=3)
    options = Smev3Options(url="http://127.0.0.1:9/smev", org_code="org", data_clock=lambda: moment)
    runs = RunLog(engine, "epgu", options.name, "epgu.poll", options.observed_now)
    run_id = runs.prepare("epgu:test")
    runs.finish()
    assert get_run(engine, run_id).observed_at.replace(tzinfo=UTC) == moment


def _sync_registry(engine: Engine, at: dt.datetime, scopes: dict[str, list[Record]]) -> None:
    from local_store.ingest import Snapshot, ingest

    run_id = start_run(
        engine,
        "contingent",
        deployment="registry",
        scope="contingent:registry:view:org",
        observed_at=at,
    )
    ingest(engine, run_id, [Snapshot.of(scope, recs) for scope, recs in scopes.items()])
    finish_run(engine, run_id, RunStatus.SUCCEEDED)


def _local(kind: str, external_id: str, **fields: Any) -> Record:
    return record_type(kind).model_validate(
        {
            **fields,
            "source": SourceRef(
                platform=Platform.LOCAL, deployment=f"local:{DEPLOYMENT}", external_id=external_id
            ),
        }
    )


def test_registry_match_completes_the_journal_person_from_the_institutions_file(
    engine: Engine,
) -> None:
    """NetSchool keeps no birth date: the institution's file of the same person supplies it,
    so the student is recognised in the registry rather than reported «нет в реестре»."""
    tpt = load_profile("tpt")
    journal = _journal()
    bare = [
        r.model_copy(update={"birth_date": None}) if r.kind == "person" else r
        for r in journal["people"]
    ]
    sync(engine, FIRST, {**journal, "people": bare})
    run_id = start_run(engine, "local", deployment=f"local:{DEPLOYMENT}", observed_at=FIRST)
    from local_store.ingest import Snapshot, ingest

    own = [
        _local(
            "person",
            f"P{i}",
            last_name=last,
            first_name="Иван",
            birth_date=dt.date(2007, 1, i),
            roles=["student"],
        )
        for i, last in ((1, "Петров"), (2, "Сидоров"))
    ]
    ingest(engine, run_id, [Snapshot.of("file:person", own)])
    finish_run(engine, run_id, RunStatus.SUCCEEDED)
    registry = [
        _registry(
            "person",
            f"R{i}",
            last_name=last,
            first_name="Иван",
            birth_date=dt.date(2007, 1, i),
            roles=["student"],
        )
        for i, last in ((1, "Петров"), (2, "Сидоров"))
    ] + [
        _registry(
            "enrolment",
            f"RE{i}",
            student_id=f"R{i}",
            group_id="RG",
            status="studying",
            starts_on=dt.date(2024, 9, 1),
        )
        for i in (1, 2)
    ]
    _sync_registry(engine, SECOND, {"registry": registry})
    run_check(engine, tpt, rules=["contingent.registry.match"])
    assert list_violations(engine, rule_id="contingent.registry.match") == []
