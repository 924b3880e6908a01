"""Feeding a generated scenario to the store as a series of syncs, for checks and benchmarks.

Each simulated sync takes the world as the platform showed it at that moment
(``World.state_as_of``) and ingests it with ``sync_run.observed_at`` = that
moment, one scope per record kind: exactly the observation history a real
connector would have left, so the §8 evidence of every entry follows from the
sync spacing.  This is a test and benchmark aid; production data comes from
the connectors.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

from canonical.base import Platform, SourceRef
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

    def state_as_of(
        self, moment: dt.datetime, platform: str | None = None, kinds: Any = None
    ) -> Any: ...


@dataclass(frozen=True)
class ReplaySource:
    platform: Platform
    deployment: str
    view: str | None
    """The platform name whose ``views`` apply (``None``: the institution's truth)."""
    kinds: Sequence[str]


def scenario_sources(world: World) -> list[ReplaySource]:
    """One source per platform the scenario lists (``meta.platform.kinds``): the journal,
    the contingent registry, ЕПГУ, «Е-услуги» and the institution's own files."""
    platform = dict(world.meta.get("platform") or {})
    journal = str(platform.get("journal") or "poo")
    deployment = str(platform.get("deployment") or f"{world.profile}.local")
    kinds_by_platform = dict(platform.get("kinds") or {journal: world.kinds()})
    out = []
    for name, kinds in sorted(kinds_by_platform.items()):
        wanted = [k for k in kinds if k in RECORD_TYPES and k in world.kinds()]
        if not wanted:
            continue
        dep = deployment if name == journal else f"{name}:{deployment}"
        out.append(ReplaySource(Platform(name), dep, name, wanted))
    return out


DATED_KINDS = {"lesson": "date", "mark": "date", "absence": "date"}
"""Kinds scoped by the ISO week of their date, as journal pulls are (one class-week per page)."""


def _scope_of(source: ReplaySource, kind: str, row: dict[str, Any]) -> str:
    base = f"{source.platform.value}:{source.deployment}:{kind}"
    field = DATED_KINDS.get(kind)
    if field is None:
        return base
    value = row.get(field)
    if value is None:
        return f"{base}:undated"
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    monday = day - dt.timedelta(days=day.weekday())
    return f"{base}:{monday.isoformat()}"


def _records(kind: str, rows: dict[str, dict[str, Any]], source: ReplaySource) -> list[Any]:
    model = RECORD_TYPES[kind]
    fields = set(model.model_fields) - {"source"}
    out = []
    for record_id, row in rows.items():
        values = {k: v for k, v in row.items() if k in fields}
        values["source"] = SourceRef(
            platform=source.platform, deployment=source.deployment, external_id=record_id
        )
        out.append(model.model_validate(values))
    return out


class _Changes:
    """Which records of each kind were created or edited in a time interval (bisect on
    sorted event lists built once), so a sync touches only the scopes that changed."""

    def __init__(self, world: Any) -> None:
        self.events: dict[str, tuple[list[float], list[str]]] = {}
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}
        """kind → id → the row as created (before edits): where a record not yet made will be."""
        for kind, table in world.tables.items():
            created, ident = table.index["created_at"], table.index["id"]
            columns = table.columns
            self.rows[kind] = {
                row[ident]: dict(zip(columns, row, strict=True)) for row in table.rows
            }
            pairs = sorted((row[created].timestamp(), row[ident]) for row in table.rows)
            self.events[kind] = ([t for t, _ in pairs], [i for _, i in pairs])
        extra: dict[str, list[tuple[float, str]]] = {}
        for kind, record_id, at, _name, _value in world.edits:
            extra.setdefault(kind, []).append((at.timestamp(), record_id))
        for kind, pairs in extra.items():
            times, ids = self.events.get(kind, ([], []))
            merged = sorted([*zip(times, ids, strict=True), *pairs])
            self.events[kind] = ([t for t, _ in merged], [i for _, i in merged])

    def between(self, kind: str, start: dt.datetime | None, end: dt.datetime) -> set[str]:
        times, ids = self.events.get(kind, ([], []))
        lo = 0 if start is None else bisect.bisect_right(times, start.timestamp())
        hi = bisect.bisect_right(times, end.timestamp())
        return set(ids[lo:hi])


class Replayer:
    """Simulated syncs of every platform of a scenario, remembering what it pulled.

    A scope is pulled at a sync when something in it changed since the
    previous sync, when something in it will change before the next one, and
    at the first sync: exactly the T and T0 (first seen, last seen before) a
    pull of everything at every sync would record, for a fraction of the work.
    ``final=True`` pulls every scope at a batch's last sync (a full pull, so
    "still missing" has a recent observation).
    """

    def __init__(self, engine: Engine, world: World) -> None:
        self.engine = engine
        self.world = world
        self.sources = scenario_sources(world)
        self.changes = _Changes(world)
        self.scope_of: dict[tuple[str, str, str], str] = {}
        """(source, kind, id) → the scope it was last pulled in."""
        self.known: dict[str, set[str]] = {s.view or "": set() for s in self.sources}
        self.last_moment: dt.datetime | None = None
        self.runs: list[int] = []

    def sync(self, moments: Sequence[dt.datetime], *, final: bool = True) -> list[int]:
        runs: list[int] = []
        for n, moment in enumerate(moments):
            following = moments[n + 1] if n + 1 < len(moments) else None
            full_pull = self.last_moment is None or (following is None and final)
            for source in self.sources:
                runs.append(self._sync_source(source, moment, following, full_pull))
            self.last_moment = moment
        self.runs += runs
        return runs

    def _sync_source(
        self,
        source: ReplaySource,
        moment: dt.datetime,
        following: dt.datetime | None,
        full_pull: bool,
    ) -> int:
        name = source.view or ""
        kinds: dict[str, set[str]] = {}
        if not full_pull:
            for kind in source.kinds:
                now = self.changes.between(kind, self.last_moment, moment)
                soon = (
                    self.changes.between(kind, moment, following)
                    if following is not None
                    else set()
                )
                if now or soon:
                    kinds[kind] = now | soon
        else:
            kinds = {kind: set() for kind in source.kinds}
        snapshots = []
        if kinds:
            state = self.world.state_as_of(moment, platform=source.view, kinds=list(kinds))
            for kind, ids in kinds.items():
                rows = state.kind(kind)
                by_scope: dict[str, dict[str, dict[str, Any]]] = {}
                for record_id, row in rows.items():
                    by_scope.setdefault(_scope_of(source, kind, row), {})[record_id] = row
                if full_pull:
                    wanted = set(by_scope) | {
                        scope
                        for (src, k, _), scope in self.scope_of.items()
                        if src == name and k == kind
                    }
                else:
                    wanted = set()
                    for record_id in ids:
                        row = rows.get(record_id) or self.changes.rows.get(kind, {}).get(record_id)
                        if row is not None:
                            wanted.add(_scope_of(source, kind, row))
                        old = self.scope_of.get((name, kind, record_id))
                        if old is not None:
                            wanted.add(old)
                for scope in sorted(wanted):
                    scoped = by_scope.get(scope, {})
                    snapshots.append(
                        Snapshot(scope, frozenset({kind}), _records(kind, scoped, source))
                    )
                    for record_id in scoped:
                        self.scope_of[(name, kind, record_id)] = scope
        run_id = start_run(
            self.engine,
            source.platform.value,
            deployment=source.deployment,
            job="scenario.replay",
            observed_at=moment,
        )
        result = ingest(self.engine, run_id, snapshots)
        finish_run(self.engine, run_id, RunStatus.SUCCEEDED, counts=result.as_dict())
        return run_id


def replay(engine: Engine, world: World, moments: Sequence[dt.datetime]) -> list[int]:
    """Simulated syncs of every platform at each moment (see :class:`Replayer`)."""
    return Replayer(engine, world).sync(moments)


def evidence_schedule(
    world: World,
    *,
    timezone: str,
    after_last_lesson_hours: float | None = None,
    extra: Iterable[dt.datetime] = (),
    history_days: int = 130,
) -> list[dt.datetime]:
    """Sync moments that make every deadline decidable from the evidence.

    A deadline D is decided exactly when some sync happens at D: an entry
    made by D is seen by then (T ≤ D), a later one is first seen after a sync
    at or past D (T0 ≥ D).  Deadlines are 23:59:59 or 20:00 local on some day,
    or a group's last lesson plus some hours, so the schedule syncs at those
    instants every day of the scenario (and once a day, at 23:59:59, over the
    months before it, when plans and contingent records are made).
    """
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    start = dt.datetime.fromisoformat(str(world.meta["starts_at"]))
    end = dt.datetime.fromisoformat(str(world.meta["ends_at"]))
    first_day = start.astimezone(zone).date() - dt.timedelta(days=history_days)
    window_day = start.astimezone(zone).date() - dt.timedelta(days=4)
    last_day = end.astimezone(zone).date()
    lesson_ends: dict[dt.date, set[dt.time]] = {}
    if after_last_lesson_hours is not None:
        ends: dict[tuple[Any, Any], dt.time] = {}
        for record in world.state_as_of(end).kind("lesson").values():
            raw_end, day, group = record.get("ends_at"), record.get("date"), record.get("group_id")
            if raw_end is None or day is None:
                continue
            clock = dt.time.fromisoformat(str(raw_end))
            key = (group, str(day))
            ends[key] = max(ends.get(key, clock), clock)
        for (_, day), clock in ends.items():
            lesson_ends.setdefault(dt.date.fromisoformat(day), set()).add(clock)
    moments: set[dt.datetime] = {
        dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    }
    day = first_day
    while day <= last_day:
        moments.add(dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone))
        if day >= window_day:
            moments.add(dt.datetime.combine(day, dt.time(20, 0), tzinfo=zone))
            for clock in lesson_ends.get(day, ()):
                after = dt.datetime.combine(day, clock, tzinfo=zone) + dt.timedelta(
                    hours=after_last_lesson_hours or 0
                )
                moments.add(after)
        day += dt.timedelta(days=1)
    moments.update(m for m in extra if m.tzinfo is not None)
    return sorted(m for m in moments if m <= end)


def scenario_beside_truth(truth_path: str | Path) -> Any:
    """The scenario lying next to its truth file (``x.truth.json`` → ``x.json[.gz]``).

    Raises :class:`~demo.scoring.TruthError` (Russian) when it is missing or unreadable.
    """
    from demo.scoring import TruthError
    from emulators.scenario.world import ScenarioError
    from emulators.scenario.world import World as ScenarioWorld

    base = Path(truth_path)
    stem = base.name.removesuffix(".truth.json")
    candidates = [base.with_name(f"{stem}.json"), base.with_name(f"{stem}.json.gz")]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise TruthError(f"рядом с эталоном нет файла сценария {candidates[0].name}")
    try:
        return ScenarioWorld.load(found)
    except ScenarioError as exc:
        raise TruthError(str(exc)) from None


def replay_beside_truth(
    engine: Engine,
    truth_path: str | Path,
    truth: dict[str, Any],
    profile: Any,
    *,
    announce: Callable[[str], object] = lambda _: None,
) -> int:
    """Load the scenario lying next to its truth file, synced at every moment the truth needs.

    The moments are the regulation's deadlines, each planted entry's making
    and the truth's own timed deadlines; returns how many syncs ran.  Raises
    :class:`~demo.scoring.TruthError` (Russian) when the scenario is missing
    or unreadable.
    """
    world = scenario_beside_truth(truth_path)
    extra = []
    for case in truth.get("cases", []) + truth.get("near_misses", []):
        if case.get("deadline") and "T" in str(case["deadline"]):
            extra.append(dt.datetime.fromisoformat(case["deadline"]))
        if case.get("made_at"):
            extra.append(dt.datetime.fromisoformat(case["made_at"]) - dt.timedelta(seconds=1))
    hours = dict(profile.setting("lesson.homework.deadline").params).get("deadline", {})
    moments = evidence_schedule(
        world,
        timezone=profile.timezone,
        after_last_lesson_hours=hours.get("after_last_lesson_hours"),
        extra=extra,
    )
    announce(f"Загрузка сценария рядом с {Path(truth_path).name}: синхронизаций {len(moments)}…")
    Replayer(engine, world).sync(moments)
    return len(moments)
