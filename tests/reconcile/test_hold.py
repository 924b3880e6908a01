"""The mass-change hold: a held run is staged, not applied, until approved; discard changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from canonical import (
    Enrolment,
    EnrolmentStatus,
    Group,
    GroupKind,
    Person,
    Platform,
    Role,
    SourceRef,
)
from canonical.base import Record
from local_store.history import records_as_of
from local_store.hold import HoldError, approve, discard, guarded_ingest, held_changes, list_held
from local_store.ingest import Snapshot
from local_store.runs import RunStatus, get_run, start_run
from local_store.schema import entity, run_scope, version_table

T = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
SCOPE = "netschool:ns.test:students"


def src(x: str) -> SourceRef:
    return SourceRef(platform=Platform.NETSCHOOL, deployment="ns.test", external_id=x)


def class_list(groups: dict[str, int]) -> list[Record]:
    records: list[Record] = []
    for gid, size in groups.items():
        records.append(
            Group(source=src(gid), name=f"Группа {gid}", group_kind=GroupKind.ACADEMIC_GROUP)
        )
        for i in range(size):
            sid = f"{gid}-s{i}"
            records.append(
                Person(
                    source=src(sid),
                    last_name=f"Фамилия{i}",
                    first_name="Имя",
                    roles=(Role.STUDENT,),
                )
            )
            records.append(
                Enrolment(
                    source=src(f"e-{sid}"),
                    student_id=sid,
                    group_id=gid,
                    status=EnrolmentStatus.STUDYING,
                    starts_on=dt.date(2026, 9, 1),
                )
            )
    return records


def snapshot(groups: dict[str, int]) -> Snapshot:
    return Snapshot.of(SCOPE, class_list(groups), ("person", "group", "enrolment"))


def run(engine: Engine, hours: int) -> int:
    return start_run(
        engine, "netschool", deployment="ns.test", observed_at=T + dt.timedelta(hours=hours)
    )


def store_state(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        state: dict[str, Any] = {
            "entity": conn.execute(
                select(entity.c.id, entity.c.removed_run_id, entity.c.scope).order_by(entity.c.id)
            ).all(),
            "run_scope": conn.execute(select(func.count()).select_from(run_scope)).scalar_one(),
        }
        for kind in ("person", "group", "enrolment"):
            t = version_table(kind)
            state[kind] = conn.execute(
                select(t.c.id, t.c.last_seen_run_id, t.c.superseded_run_id).order_by(t.c.id)
            ).all()
    return state


def test_small_change_is_applied_at_once(engine: Engine) -> None:
    guarded_ingest(engine, run(engine, 0), snapshot({"g1": 30, "g2": 30}))
    r2 = run(engine, 1)
    outcome = guarded_ingest(engine, r2, snapshot({"g1": 29, "g2": 30}))  # 1 of 60 removed
    assert not outcome.held and outcome.result is not None
    assert outcome.result.as_dict()["enrolment"]["removed"] == 1
    assert get_run(engine, r2).status is RunStatus.RUNNING  # the caller finishes its own run


def test_mass_removal_is_held_then_approved(engine: Engine) -> None:
    guarded_ingest(engine, run(engine, 0), snapshot({"g1": 30, "g2": 30}))
    before = store_state(engine)

    r2 = run(engine, 1)
    outcome = guarded_ingest(engine, r2, snapshot({"g1": 30}))  # g2 vanished: 30 of 60 removed
    assert outcome.held
    assert any(
        "не остаётся ни одного обучающегося" in r and "Группа g2" in r for r in outcome.reasons
    )
    assert any("удаляется 30 из 60" in r for r in outcome.reasons)
    assert store_state(engine) == before, "a held run writes nothing to the history"
    assert get_run(engine, r2).status is RunStatus.HELD
    assert [h.run_id for h in list_held(engine)] == [r2]
    changes = held_changes(engine, r2)
    removed = [c for c in changes if c["change"] == "removed" and c["kind"] == "enrolment"]
    assert len(removed) == 30 and all(c["external_id"].startswith("e-g2-") for c in removed)

    result = approve(engine, r2)
    assert result.as_dict()["enrolment"]["removed"] == 30
    assert get_run(engine, r2).status is RunStatus.SUCCEEDED
    current = {r.source.external_id for r in records_as_of(engine, "enrolment")}
    assert len(current) == 30 and all(x.startswith("e-g1-") for x in current)
    assert list_held(engine) == []
    with pytest.raises(HoldError):
        approve(engine, r2)


def test_discarded_run_leaves_the_store_as_before(engine: Engine) -> None:
    guarded_ingest(engine, run(engine, 0), snapshot({"g1": 30, "g2": 30}))
    before = store_state(engine)
    r2 = run(engine, 1)
    assert guarded_ingest(engine, r2, snapshot({"g1": 30})).held
    discard(engine, r2)
    assert store_state(engine) == before
    assert get_run(engine, r2).status is RunStatus.DISCARDED
    assert len(records_as_of(engine, "enrolment")) == 60
    # the next normal pull goes on from the old state
    r3 = run(engine, 2)
    assert not guarded_ingest(engine, r3, snapshot({"g1": 30, "g2": 30})).held


def test_stale_held_run_cannot_be_approved(engine: Engine) -> None:
    guarded_ingest(engine, run(engine, 0), snapshot({"g1": 30, "g2": 30}))
    r2 = run(engine, 1)
    assert guarded_ingest(engine, r2, snapshot({"g1": 30})).held
    r3 = run(engine, 2)
    guarded_ingest(engine, r3, snapshot({"g1": 30, "g2": 30}))
    with pytest.raises(HoldError, match="устаревшие"):
        approve(engine, r2)


def test_a_held_run_keeps_its_unread_records_through_approval(engine: Engine) -> None:
    """Records the mapping could not read (``Snapshot.unread``) stay when the held run is
    approved, as they would have in an ordinary ingest."""
    guarded_ingest(engine, run(engine, 0), snapshot({"g1": 30, "g2": 30}))
    r2 = run(engine, 1)
    kept = snapshot({"g1": 30})
    unread = src("g2-s0").key()
    held = Snapshot(kept.scope, kept.kinds, kept.records, frozenset({unread}))
    assert guarded_ingest(engine, r2, held).held
    approve(engine, r2)
    people = {r.source.external_id for r in records_as_of(engine, "person")}
    assert "g2-s0" in people and "g2-s1" not in people
    assert len(people) == 31


def test_a_small_schools_expulsions_pass_and_a_larger_loss_is_held(engine: Engine) -> None:
    """40 students: 9 expelled in one pull (22 %) is a term's ordinary news and is applied;
    10 gone at once reaches the floor and is held (``HoldPolicy.min_rows``)."""
    guarded_ingest(engine, run(engine, 0), snapshot({"g1": 20, "g2": 20}))
    nine = guarded_ingest(engine, run(engine, 1), snapshot({"g1": 20, "g2": 11}))
    assert not nine.held, nine.reasons
    assert nine.result is not None and nine.result.as_dict()["enrolment"]["removed"] == 9

    guarded_ingest(engine, run(engine, 2), snapshot({"g1": 20, "g2": 20}))
    ten = guarded_ingest(engine, run(engine, 3), snapshot({"g1": 20, "g2": 10}))
    assert ten.held
    assert any(
        "удаляется 10 из 40 записей о зачислении (25% при пороге 5% и не менее 10)" in r
        for r in ten.reasons
    ), ten.reasons


def test_at_a_large_school_the_share_decides(engine: Engine) -> None:
    """400 students: 20 removed (5 %) is applied, 21 (5.25 %) is held; the floor of 10 rows
    plays no part once 5 % is more than that."""
    guarded_ingest(engine, run(engine, 0), snapshot({f"g{i}": 25 for i in range(16)}))
    twenty = {f"g{i}": 25 for i in range(16)} | {"g0": 5}
    assert not guarded_ingest(engine, run(engine, 1), snapshot(twenty)).held
    guarded_ingest(engine, run(engine, 2), snapshot({f"g{i}": 25 for i in range(16)}))
    twenty_one = twenty | {"g1": 24}
    held = guarded_ingest(engine, run(engine, 3), snapshot(twenty_one))
    assert held.held and any("удаляется 21 из 400" in r for r in held.reasons), held.reasons
