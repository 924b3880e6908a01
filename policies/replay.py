"""Feeding a generated scenario to the store as a series of syncs, for checks and benchmarks.

Each simulated sync takes the world as the platform showed it at that moment
(``World.state_as_of``) and ingests it with ``sync_run.observed_at`` = that
moment, one scope per record kind: exactly the observation history a real
connector would have left, so the §8 evidence of every entry follows from the
sync spacing.  This is a test and benchmark aid; production data comes from
the connectors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from canonical.base import Platform
from canonical.registry import RECORD_TYPES
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run


class WorldState(Protocol):
    def to_records(self, kind: str, platform: Platform, deployment: str) -> list[Any]: ...


class World(Protocol):
    """What the replay needs of ``emulators.scenario.world.World`` (no import: policies do
    not depend on the emulators)."""

    meta: dict[str, Any]

    @property
    def profile(self) -> str: ...

    def kinds(self) -> list[str]: ...

    def state_as_of(self, moment: dt.datetime, platform: str | None = None) -> Any: ...


REGISTRY_KINDS = ("person", "enrolment", "group", "movement_order")


@dataclass(frozen=True)
class ReplaySource:
    platform: Platform
    deployment: str
    view: str | None
    """The platform name whose ``views`` apply (``None``: the institution's truth)."""
    kinds: Sequence[str]


def journal_source(world: World, platform: str | None = None) -> ReplaySource:
    name = platform or str(
        world.meta.get("journal_platform") or world.meta.get("platform") or "poo"
    )
    deployment = str(world.meta.get("deployment") or f"{world.profile}.local")
    kinds = [k for k in world.kinds() if k in RECORD_TYPES]
    return ReplaySource(Platform(name), deployment, name, kinds)


def registry_source(world: World) -> ReplaySource:
    kinds = [k for k in REGISTRY_KINDS if k in world.kinds()]
    return ReplaySource(Platform.CONTINGENT, "contingent.registry", "contingent", kinds)


def sync_moments(
    start: dt.datetime,
    end: dt.datetime,
    every: dt.timedelta,
    at: Iterable[dt.time] | None = None,
    timezone: str = "UTC",
) -> list[dt.datetime]:
    """Sync moments from ``start`` to ``end``: every ``every``, or at the given local times daily."""
    from zoneinfo import ZoneInfo

    out: list[dt.datetime] = []
    if at is None:
        moment = start
        while moment <= end:
            out.append(moment)
            moment += every
        return out
    zone = ZoneInfo(timezone)
    times = sorted(at)
    day = start.astimezone(zone).date()
    while True:
        for clock in times:
            moment = dt.datetime.combine(day, clock, tzinfo=zone)
            if moment > end:
                return out
            if moment >= start:
                out.append(moment)
        day += dt.timedelta(days=1)


def replay_sync(
    engine: Engine, world: World, moment: dt.datetime, sources: Sequence[ReplaySource]
) -> list[int]:
    """One simulated sync of every source at ``moment``; returns the run ids."""
    runs = []
    for source in sources:
        state = world.state_as_of(moment, platform=source.view)
        snapshots = []
        for kind in source.kinds:
            records = state.to_records(kind, source.platform, source.deployment)
            scope = f"{source.platform.value}:{source.deployment}:{kind}"
            snapshots.append(Snapshot.of(scope, records, kinds=[kind]))
        run_id = start_run(
            engine,
            source.platform.value,
            deployment=source.deployment,
            job="scenario.replay",
            observed_at=moment,
        )
        result = ingest(engine, run_id, snapshots)
        finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=result.as_dict())
        runs.append(run_id)
    return runs


def replay(
    engine: Engine,
    world: World,
    moments: Sequence[dt.datetime],
    *,
    registry: bool = False,
) -> list[int]:
    sources = [journal_source(world)]
    if registry:
        sources.append(registry_source(world))
    runs: list[int] = []
    for moment in moments:
        runs += replay_sync(engine, world, moment, sources)
    return runs
