"""Every injectable fault of the catalogue: retried, or stopped with a Russian error; nothing lost."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from canonical.requests import RegistryResult
from connectors.smev3.errors import SmevFaultError
from emulators.scenario.world import World
from local_store import outbox
from local_store.history import records_as_of
from pipelines.smev3.common import MOVEMENT, DeliveryStopped
from pipelines.smev3.contingent import push_contingent
from tests.smev3.conftest import Running, seed_journal

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

RETRYABLE = ["SMEVFailure", "DestinationOverflow", "QuoteLimitExceeded", "EndOfLifeReached"]
SYSTEMIC = [
    "AccessDenied",
    "PersonalAccessDenied",
    "SenderIsNotRegistered",
    "SignatureVerificationFault",
]
PER_MESSAGE = [
    "InvalidContent",
    "BusinessDataTypeIsNotSupported",
    "InvalidMessageIdFormat",
    "TransactionCodeInvalid",
    "AttachmentContentMiscoordination",
    "AttachmentSizeLimitExceeded",
    "IncorrectResponseContentType",
    "RecipientIsNotFound",
    "RequestIsNotFound",
]


def _receipts(smev: Running) -> list[int]:
    return sorted(smev.control("GET", "registry")["receipts"].values())


def _all_answered(engine: Engine) -> bool:
    return {i.status for i in outbox.items(engine, channel=MOVEMENT)} == {
        outbox.OutboxStatus.ANSWERED
    }


@pytest.mark.parametrize("fault", RETRYABLE)
async def test_transient_fault_is_retried_until_delivered(
    engine: Engine, smev: Running, world: World, fault: str
) -> None:
    seed_journal(engine, world)
    smev.control("POST", "faults", json={"fault": fault, "operation": "SendRequest", "count": 3})
    report = await push_contingent(engine, smev.options(), budget_seconds=20)
    assert report.delivery is not None and report.delivery.retried >= 3
    assert _receipts(smev) == [1, 1, 1, 1, 1]
    assert _all_answered(engine)


async def test_stale_message_id_gets_a_new_id_and_is_delivered_once(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    smev.control(
        "POST", "faults", json={"fault": "StaleMessageId", "operation": "SendRequest", "count": 1}
    )
    await push_contingent(engine, smev.options(), budget_seconds=20)
    assert _receipts(smev) == [1, 1, 1, 1, 1]
    assert _all_answered(engine)
    audit = outbox.envelopes(engine)
    stale_at = next(i for i, e in enumerate(audit) if e["status"] == "fault:StaleMessageId")
    stale_id = audit[stale_at - 1]["message_id"]
    assert stale_id and stale_id not in {i.message_id for i in outbox.items(engine)}


async def test_lost_reply_is_resent_with_the_same_id_and_counted_once(
    engine: Engine, smev: Running, world: World
) -> None:
    """СМЭВ accepted the message but the reply was lost: the retry meets MessageIsAlreadySent."""
    seed_journal(engine, world)
    smev.control("POST", "lose-reply", json={"operation": "SendRequest", "count": 2})
    report = await push_contingent(engine, smev.options(), budget_seconds=20)
    assert report.delivery is not None and report.delivery.already_sent == 2
    assert _receipts(smev) == [1, 1, 1, 1, 1]
    assert _all_answered(engine)


@pytest.mark.parametrize("fault", SYSTEMIC)
async def test_systemic_fault_stops_with_russian_error_and_keeps_everything(
    engine: Engine, smev: Running, world: World, fault: str
) -> None:
    seed_journal(engine, world)
    smev.control("POST", "faults", json={"fault": fault, "operation": "SendRequest", "count": 1})
    with pytest.raises(DeliveryStopped) as stopped:
        await push_contingent(engine, smev.options(), budget_seconds=10)
    assert "отправка остановлена" in stopped.value.message and fault in stopped.value.message
    items = outbox.items(engine, channel=MOVEMENT)
    assert len(items) == 5 and all(i.status is outbox.OutboxStatus.PENDING for i in items)
    assert any(i.last_error and fault in i.last_error for i in items)
    # After the cause is fixed, the next push delivers everything, once.
    await push_contingent(engine, smev.options(), budget_seconds=20)
    assert _receipts(smev) == [1, 1, 1, 1, 1]
    assert _all_answered(engine)


@pytest.mark.parametrize("fault", PER_MESSAGE)
async def test_message_fault_fails_that_message_with_russian_error(
    engine: Engine, smev: Running, world: World, fault: str
) -> None:
    seed_journal(engine, world)
    smev.control("POST", "faults", json={"fault": fault, "operation": "SendRequest", "count": 1})
    report = await push_contingent(engine, smev.options(), budget_seconds=20)
    assert report.delivery is not None and len(report.delivery.failed) == 1
    key, error = report.delivery.failed[0]
    assert fault in error and any("а" <= ch <= "я" for ch in error)
    failed = outbox.items(engine, status=outbox.OutboxStatus.FAILED)
    assert [i.event_key for i in failed] == [key] and failed[0].payload
    rejected = [
        f
        for f in records_as_of(engine, "registry_feedback")
        if f.result is RegistryResult.REJECTED and f.source.external_id == key  # type: ignore[attr-defined]
    ]
    assert rejected and fault in (rejected[0].message or "")  # type: ignore[attr-defined]
    assert _receipts(smev) == [1, 1, 1, 1]
    # Put back after the fix: delivered with the same message id, once.
    assert outbox.requeue_failed(engine, "smev.test") == 1
    await push_contingent(engine, smev.options(), budget_seconds=20)
    assert _receipts(smev) == [1, 1, 1, 1, 1]


async def test_unknown_message_type_on_polling_is_a_clear_error_nothing_lost(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    smev.control(
        "POST",
        "faults",
        json={"fault": "UnknownMessageType", "operation": "GetResponse", "count": 1},
    )
    with pytest.raises(SmevFaultError) as failure:
        await push_contingent(engine, smev.options(), budget_seconds=10)
    assert "незарегистрированный вид сведений" in failure.value.message
    assert {i.status for i in outbox.items(engine)} == {outbox.OutboxStatus.SENT}
    await push_contingent(engine, smev.options(), budget_seconds=10)
    assert _all_answered(engine) and _receipts(smev) == [1, 1, 1, 1, 1]


async def test_failed_ack_and_polling_failure_are_survived(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    smev.control(
        "POST", "faults", json={"fault": "TargetMessageIsNotFound", "operation": "Ack", "count": 1}
    )
    smev.control(
        "POST", "faults", json={"fault": "SMEVFailure", "operation": "GetResponse", "count": 2}
    )
    report = await push_contingent(engine, smev.options(), budget_seconds=20)
    assert report.feedback is not None and report.feedback.ack_failures == 1
    assert report.feedback.duplicates == 1
    assert _all_answered(engine) and _receipts(smev) == [1, 1, 1, 1, 1]
    assert len(records_as_of(engine, "registry_feedback")) == 5
