"""The same СМЭВ jobs through «Адаптер СМЭВ»: the emulated gateway relays to the emulator.

Only the settings change (``transport="adapter"``, the adapter's address, the
``itSystem``); the registry and ЕПГУ jobs run unchanged over a real socket.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from connectors.smev3.adapter import AdapterClient
from connectors.smev3.client import SmevSettings, new_message_id
from connectors.smev3.errors import SmevFaultError
from emulators.scenario.world import World
from local_store import outbox
from local_store.runs import get_run, list_runs
from pipelines.smev3.common import Smev3Options, make_client
from pipelines.smev3.contingent import push_contingent, sync_contingent
from pipelines.smev3.epgu import poll_epgu
from tests.smev3.conftest import Running, seed_journal
from tests.smev3.test_exchange import _view


def _adapter(smev: Running, **overrides: object) -> Smev3Options:
    school = smev.emulator.broker.config.school
    return smev.options(
        transport="adapter", url=f"{smev.url}/adapter/ws", mnemonic=school, **overrides
    )


async def test_registry_view_and_push_through_the_adapter(
    engine: Engine, smev: Running, world: World
) -> None:
    assert isinstance(make_client(engine, _adapter(smev)), AdapterClient)
    summary = await sync_contingent(engine, _adapter(smev))
    assert summary.students == 3
    assert (get_run(engine, summary.run_id).counts or {})["smev_mode"] == "adapter"
    seed_journal(engine, world)
    report = await push_contingent(engine, _adapter(smev), budget_seconds=20)
    assert report.delivery is not None and report.delivery.sent == 5
    assert report.feedback is not None and report.feedback.answered == 5
    assert sorted(smev.control("GET", "registry")["receipts"].values()) == [1, 1, 1, 1, 1]
    # The adapter acknowledged every message it took from СМЭВ.
    queues = smev.control("GET", "state")["queues"]
    assert all(m["acked"] for messages in queues.values() for m in messages)
    audited = outbox.envelopes(engine)
    sent = {e["message_id"] for e in audited if e["operation"] == "Send"}
    assert {i.message_id for i in outbox.items(engine)} <= sent, "each Send audited by clientId"
    assert any(
        e["direction"] == "in" and e["message_id"] for e in audited if e["operation"] == "Get"
    )
    runs = list_runs(engine, source="contingent")
    assert len(runs) >= 2, "the view and the feedback each have their run"
    modes = {(r.counts or {}).get("smev_mode") for r in runs}
    assert modes == {"adapter"}, "every СМЭВ run says how it reached СМЭВ"


async def test_epgu_applications_answered_through_the_adapter(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    assert smev.control("POST", "parties/epgu/send")["sent"] == 3
    report = await poll_epgu(engine, _adapter(smev, profile="talmenka"), budget_seconds=20)
    assert (report.received, report.provided, report.refused) == (3, 1, 2)
    answers = smev.control("GET", "epgu")["answers"]
    assert len(answers) == 6 and all(a["to_matches"] for a in answers)


async def test_adapter_faults_carry_the_smev_reason(smev: Running) -> None:
    school = smev.emulator.broker.config.school
    settings = SmevSettings(f"{smev.url}/adapter/ws")
    message_id = new_message_id()
    async with AdapterClient(settings, school) as client:
        first = await client.send_request(_view(), message_id)
        again = await client.send_request(_view(), message_id)
        assert not first.already_sent and again.already_sent
    async with AdapterClient(settings, "STRANGER") as client:
        with pytest.raises(SmevFaultError) as refused:
            await client.send_request(_view(), new_message_id())
    assert refused.value.name == "SenderIsNotRegistered"
    assert refused.value.code == "SystemFault"
