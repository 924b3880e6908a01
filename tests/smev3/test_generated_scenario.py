"""A generated talmenka scenario end to end: ЕПГУ decisions agree with the ground truth."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine

from canonical.requests import EpguRequest, EpguRequestStatus
from emulators.scenario.generate import build as generate
from emulators.scenario.world import World
from emulators.smev3.app import build, create_app, running
from emulators.smev3.broker import BrokerConfig
from local_store.history import records_as_of
from pipelines.smev3.contingent import push_contingent
from pipelines.smev3.epgu import poll_epgu, sync_e_uslugi
from tests.smev3.conftest import Running, seed_journal

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def _refused_by_truth(truth: dict[str, Any]) -> set[str]:
    refused: set[str] = set()
    for case in truth["cases"]:
        if case["rule_id"] == "epgu.own_child_only" and case["expected"] == "refused":
            refused.add(case["entity_id"])
        if case["rule_id"] == "epgu.parent.required_fields" and case["expected"] == "violated":
            refused.add(case["details"]["epgu_request_id"])
    return refused


async def test_generated_world_epgu_and_registry(engine: Engine) -> None:
    generated = generate("talmenka", 60, 2, 1)
    world = World.from_dict(generated.scenario)
    end = dt.datetime.fromisoformat(world.meta["ends_at"])
    seed_journal(engine, world, end)
    org = str(world.meta["institution_id"])
    emulator = build(world, as_of=end, org_code=org, config=BrokerConfig(signature="mock"))
    with running(create_app(emulator)) as url:
        smev = Running(emulator, url)
        options = smev.options(org_code=org, profile="talmenka")
        sent = smev.control("POST", "parties/epgu/send")["sent"]
        report = await poll_epgu(engine, options, budget_seconds=30)
        assert report.received == sent > 0

        requests = {
            r.source.external_id: r
            for r in records_as_of(engine, "epgu_request")
            if isinstance(r, EpguRequest)
        }
        scenario_ids = {
            str(row["order_id"]): rid
            for rid, row in world.state_as_of(end).kind("epgu_request").items()
        }
        refused = {
            scenario_ids[r.order_id]
            for r in requests.values()
            if r.status is EpguRequestStatus.REFUSED
        }
        assert refused == _refused_by_truth(generated.truth)

        push = await push_contingent(engine, options, budget_seconds=60)
        assert push.feedback is not None and push.feedback.answered == len(push.plan.queued)
        assert set(smev.control("GET", "registry")["receipts"].values()) == {1}

        smev.control("POST", "parties/e-uslugi/send")
        notices = await sync_e_uslugi(engine, options, budget_seconds=30)
        assert notices.received == len(world.state_as_of(end).kind("expected_enrolment"))
