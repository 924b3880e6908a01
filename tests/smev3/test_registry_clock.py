"""The emulated registry follows the scenario's clock: orders reach it through the usual channel
on their date, a planted lag never does, and what Sverka pushed stays applied."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import Engine

from canonical.contingent import Enrolment
from emulators.scenario.generate import build as generate
from emulators.scenario.world import World
from emulators.smev3.app import build, create_app, running
from emulators.smev3.broker import BrokerConfig
from local_store.history import records_as_of
from pipelines.smev3.contingent import push_contingent, sync_contingent
from tests.smev3.conftest import Running, seed_journal


def _statuses(engine: Engine) -> dict[str, set[str]]:
    """Registry student id → the statuses of its open episodes, as the last view showed."""
    out: dict[str, set[str]] = {}
    for record in records_as_of(engine, "enrolment"):
        registry = isinstance(record, Enrolment) and record.source.platform.value == "contingent"
        if registry and isinstance(record, Enrolment) and record.ends_on is None:
            out.setdefault(record.student_id, set()).add(record.status.value)
    return out


def test_registry_view_moves_with_the_clock_and_keeps_pushes(engine: Engine) -> None:
    generated = generate("tpt", 40, 2, 1)
    world = World.from_dict(generated.scenario)
    start = dt.datetime.fromisoformat(str(world.meta["starts_at"]))
    end = dt.datetime.fromisoformat(str(world.meta["ends_at"]))
    truth: dict[str, Any] = generated.truth
    lagging = {
        str(d["details"]["student_id"])
        for d in truth["discrepancies"]
        if d["kind"] == "registry_lags_order"
    }
    orders = world.state_as_of(end).kind("movement_order")
    moved = sorted(
        str(o["student_id"])
        for o in orders.values()
        if o["movement"] in ("expulsion", "academic_leave")
        and start < dt.datetime.fromisoformat(str(o["created_at"])) <= end
        and str(o["student_id"]) not in lagging
    )
    assert lagging and moved, "the scenario has both a planted lag and an ordinary order"
    org = str(world.meta["institution_id"])
    emulator = build(world, as_of=start, org_code=org, config=BrokerConfig(signature="mock"))
    with running(create_app(emulator)) as url:
        smev = Running(emulator, url)
        options = smev.options(org_code=org, deployment="smev3.clock", profile="tpt")
        seed_journal(engine, world, end)

        asyncio.run(sync_contingent(engine, options, observed_at=start))
        before = _statuses(engine)
        assert all(before.get(f"R-{s}") == {"studying"} for s in moved + sorted(lagging))

        smev.control("POST", "clock", json={"as_of": end.isoformat()})
        asyncio.run(sync_contingent(engine, options, observed_at=end))
        after = _statuses(engine)
        # an ordinary order reached the registry on its date; a planted lag did not
        assert all(after.get(f"R-{s}") != {"studying"} for s in moved), after
        assert all(after.get(f"R-{s}") == {"studying"} for s in lagging)

        push = asyncio.run(push_contingent(engine, options, budget_seconds=60))
        assert push.feedback is not None and push.feedback.accepted > 0
        later = end + dt.timedelta(days=1)
        smev.control("POST", "clock", json={"as_of": later.isoformat()})
        asyncio.run(sync_contingent(engine, options, observed_at=later))
        healed = _statuses(engine)
        # the push healed the lag, and a later view (rebuilt at the new moment) keeps it
        assert all(healed.get(f"R-{s}") != {"studying"} for s in lagging), healed
