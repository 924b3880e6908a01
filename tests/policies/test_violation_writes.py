"""The batched writing of findings keeps every lifecycle step of every row it touches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from local_store.violations import (
    Finding,
    acknowledge,
    list_violations,
    record_findings,
    start_check,
)
from local_store.violations_schema import policy_violation, policy_violation_event

RULE = "test.rule"
T0 = dt.datetime(2026, 10, 5, 12, 0, tzinfo=dt.UTC)


def _finding(key: str, verdict: str = "late", days: int = 1) -> Finding:
    return Finding(
        rule_id=RULE,
        entity_kind="mark",
        entity_key=key,
        verdict=verdict,
        message=f"{key}: {verdict}",
        deadline=T0 + dt.timedelta(days=days),
        evidence={"entered": T0.date(), "keys": (key, 1)},
    )


def _check(engine: Engine, findings: list[Finding], at: dt.datetime) -> dict[str, int]:
    with engine.begin() as conn:
        check = start_check(
            conn, "p", full=True, rules=None, since_run_id=None, upto_run_id=None, data_as_of=at
        )
        return record_findings(
            conn, check, "p", RULE, findings, touched=None, data_as_of=at
        ).as_dict()


def _by_key(engine: Engine) -> dict[str, dict[str, object]]:
    return {str(v["entity_key"]): v for v in list_violations(engine, rule_id=RULE)}


def _events(engine: Engine, vid: object) -> list[str]:
    with engine.connect() as conn:
        query = select(policy_violation_event.c.event).where(
            policy_violation_event.c.violation_id == vid
        )
        return list(conn.execute(query.order_by(policy_violation_event.c.id)).scalars())


def test_open_change_resolve_reopen_in_batches(engine: Engine) -> None:
    keys = [f"m{i}" for i in range(30)]
    assert _check(engine, [_finding(k) for k in keys], T0)["opened"] == 30
    first = _by_key(engine)
    acknowledge(engine, str(first["m0"]["id"]), by="завуч")

    # m0 (acknowledged) and m1 change; m2..m9 vanish; the rest stay as they were
    t1 = T0 + dt.timedelta(days=2)
    later = [_finding("m0", "missing", 3), _finding("m1", "missing")] + [
        _finding(k) for k in keys[10:]
    ]
    counts = _check(engine, later, t1)
    assert counts == {"opened": 0, "changed": 2, "reopened": 0, "unchanged": 20, "resolved": 8}
    now = _by_key(engine)
    assert now["m0"]["status"] == "acknowledged" and now["m0"]["verdict"] == "missing"
    assert now["m0"]["deadline"] == T0 + dt.timedelta(days=3)
    assert now["m0"]["acknowledged_by"] == "завуч"
    assert now["m1"]["status"] == "open" and now["m1"]["message"] == "m1: missing"
    for k in keys[2:10]:
        assert now[k]["status"] == "resolved" and now[k]["resolved_at"] == t1
    for k in keys:
        assert now[k]["first_detected_at"] == T0 and now[k]["id"] == first[k]["id"]
    assert now["m15"] == first["m15"]

    # m2 comes back unchanged: reopened, its content as before, no resolution left on it
    t2 = T0 + dt.timedelta(days=4)
    counts = _check(engine, [*later, _finding("m2")], t2)
    assert counts == {"opened": 0, "changed": 0, "reopened": 1, "unchanged": 22, "resolved": 0}
    again = _by_key(engine)["m2"]
    assert again["status"] == "open" and again["resolved_at"] is None
    assert again["resolved_check_id"] is None and again["first_detected_at"] == T0
    assert (
        again["evidence"] == first["m2"]["evidence"] == {"entered": "2026-10-05", "keys": ["m2", 1]}
    )
    assert _events(engine, again["id"]) == ["opened", "resolved", "reopened"]
    assert _events(engine, now["m0"]["id"]) == ["opened", "acknowledged", "changed"]

    with engine.connect() as conn:
        total = conn.execute(select(policy_violation.c.id)).all()
    assert len(total) == 30  # nothing duplicated
