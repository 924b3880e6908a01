"""The registry connector against the emulator over loopback: view, push, feedback."""

from __future__ import annotations

from sqlalchemy import Engine

from canonical.contingent import Enrolment
from canonical.requests import RegistryFeedback, RegistryResult
from emulators.scenario.world import World
from local_store import outbox
from local_store.history import records_as_of
from mapping.contingent import event_key
from pipelines.smev3.common import MOVEMENT
from pipelines.smev3.contingent import plan_movement_pushes, push_contingent, sync_contingent
from tests.smev3.conftest import Running, seed_journal


async def test_sync_contingent_stores_the_registry_view(engine: Engine, smev: Running) -> None:
    summary = await sync_contingent(engine, smev.options())
    people = records_as_of(engine, "person")
    registry_people = [p for p in people if p.source.platform.value == "contingent"]
    # s4 and s5 are not in the registry's view (views __absent__).
    assert summary.students == 3
    assert {p.source.external_id for p in registry_people} == {"R-s1", "R-s2", "R-s3"}
    enrolments = [
        e
        for e in records_as_of(engine, "enrolment")
        if isinstance(e, Enrolment) and e.source.platform.value == "contingent"
    ]
    assert {e.group_id for e in enrolments} == {"5А"}
    assert outbox.envelopes(engine), "every envelope is audited"


async def test_push_delivers_each_order_once_and_stores_feedback(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    report = await push_contingent(engine, smev.options(), budget_seconds=20)
    assert len(report.plan.queued) == 5
    assert report.delivery is not None and report.delivery.sent == 5
    assert report.feedback is not None and report.feedback.answered == 5

    receipts = smev.control("GET", "registry")["receipts"]
    assert sorted(receipts.values()) == [1, 1, 1, 1, 1]

    feedback = {
        r.student_id: r
        for r in records_as_of(engine, "registry_feedback")
        if isinstance(r, RegistryFeedback)
    }
    assert len(feedback) == 5
    assert feedback["s4"].result is RegistryResult.ACCEPTED  # new student enrolled
    assert feedback["s3"].result is RegistryResult.ACCEPTED  # expelled
    assert feedback["s2"].result is RegistryResult.ACCEPTED  # transferred
    assert feedback["s5"].result is RegistryResult.REJECTED
    assert feedback["s5"].error_code == "BAD_SNILS"
    assert "контрольная сумма" in (feedback["s5"].message or "")
    assert feedback["s1"].result is RegistryResult.CONFLICT  # return without academic leave
    assert "невозможно" in (feedback["s1"].message or "")

    statuses = {i.event_key: i.status for i in outbox.items(engine, channel=MOVEMENT)}
    assert set(statuses.values()) == {outbox.OutboxStatus.ANSWERED}

    # A second push sends nothing: every order is already in the outbox.
    again = await push_contingent(engine, smev.options(), budget_seconds=5)
    assert again.plan.queued == [] and again.plan.already == 5
    assert sorted(smev.control("GET", "registry")["receipts"].values()) == [1, 1, 1, 1, 1]


async def test_dry_run_writes_nothing(engine: Engine, smev: Running, world: World) -> None:
    seed_journal(engine, world)
    plan = plan_movement_pushes(engine, smev.options(), dry_run=True)
    assert len(plan.queued) == 5
    assert outbox.items(engine) == []
    assert smev.control("GET", "registry")["receipts"] == {}


async def test_order_without_student_card_is_skipped_not_lost(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    import datetime as dt

    from canonical.base import Platform, SourceRef
    from canonical.contingent import MovementKind, MovementOrder
    from local_store.ingest import Snapshot, ingest
    from local_store.runs import start_run

    orphan = MovementOrder(
        source=SourceRef(
            platform=Platform.NETSCHOOL, deployment="school.test", external_id="m-orphan"
        ),
        student_id="nobody",
        movement=MovementKind.EXPULSION,
        number="99-у",
        order_date=dt.date(2026, 10, 1),
        effective_date=dt.date(2026, 10, 1),
    )
    run = start_run(engine, "netschool", deployment="school.test")
    ingest(engine, run, Snapshot.of("orphan", [orphan]))
    plan = plan_movement_pushes(engine, smev.options())
    assert [o.source.external_id for o, _ in plan.skipped] == ["m-orphan"]
    assert "нет карточки" in plan.skipped[0][1]
    assert event_key(orphan) not in {i.event_key for i in outbox.items(engine)}
