"""The demo: a synthetic institution replayed day by day through real emulators.

It is the product's main job in miniature: the journal platform and СМЭВ are
our emulators on loopback, their clocks move through the scenario's school
weeks, and at each planned moment the same job functions the scheduler runs
pull the journal, pull the contingent registry, check the regulation, push
movement orders to the registry and answer ЕПГУ.  At the end it reconciles the sources, writes the reports and
scores the violations found against the scenario's planted truth.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, select

from emulators.scenario.generate import build
from emulators.scenario.world import World
from emulators.scenario.writer import write_scenario
from local_store.engine import open_store
from pipelines.window import Incremental
from scheduler.evidence_plan import PlannedSync

log = structlog.get_logger(__name__)

Progress = Callable[[str, int, int], None]
"""(what is happening, step done, steps in all)."""

DAY_CLOSE = dt.time(23, 59, 59)
"""The end-of-day sync: the institution's files, the check, pushes and ЕПГУ follow it."""


@dataclass
class DemoOptions:
    profile: str = "tpt"
    students: int = 90
    weeks: int = 3
    seed: int = 1
    out: Path = Path("sverka-demo")


@dataclass
class DemoResult:
    profile: str
    platform: str
    scenario: Path
    truth: Path
    store: Path
    moments: int
    syncs: int
    seconds: float = 0.0
    rules: list[dict[str, Any]] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    registry: dict[str, int] = field(default_factory=dict)
    epgu: dict[str, int] = field(default_factory=dict)
    discrepancies: dict[str, int] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unchecked: list[dict[str, str]] = field(default_factory=list)
    """Rules the platform cannot carry the facts for: ``rule_id`` and «не проверяется: …»."""
    possibly: dict[str, list[str]] = field(default_factory=dict)
    """Per rule, the findings still only «possibly violated» (no sync fell at their deadline)."""
    refusals: list[dict[str, str]] = field(default_factory=list)
    """Every refused ЕПГУ application: ``order_id`` and the refusal the applicant got."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "journal_platform": self.platform,
            "seconds": round(self.seconds, 1),
            "sync_moments": self.moments,
            "journal_syncs": self.syncs,
            "rules": self.rules,
            "outbox": self.outbox,
            "registry": self.registry,
            "epgu": self.epgu,
            "epgu_refusals": self.refusals,
            "discrepancies_by_cause": self.discrepancies,
            "paths": self.paths,
            "problems": self.problems,
            "unchecked": self.unchecked,
            "possibly": {
                "total": sum(len(v) for v in self.possibly.values()),
                "by_rule": self.possibly,
            },
        }


def plan_moments(world: World, profile: str) -> list[PlannedSync]:
    """The sync plan ``sverka schedule plan`` derives (scheduler.evidence_plan) over the
    scenario: the profile's deadlines, the institution's timetable and calendar."""
    from policies.profiles import load_profile
    from scheduler.evidence_plan import plan_syncs

    zone = ZoneInfo(world.timezone)
    start = dt.datetime.fromisoformat(str(world.meta["starts_at"]))
    end = dt.datetime.fromisoformat(str(world.meta["ends_at"]))
    state = world.state_as_of(end)
    last_lessons: dict[dt.date, dict[str, dt.time]] = {}
    starts: dict[dt.date, dict[dt.time, set[str]]] = {}
    for record in state.kind("lesson").values():
        raw_start = record.get("starts_at")
        if raw_start is not None and record.get("date") and record.get("group_id"):
            on = starts.setdefault(dt.date.fromisoformat(str(record["date"])), {})
            on.setdefault(dt.time.fromisoformat(str(raw_start)), set()).add(str(record["group_id"]))
        raw_end, day, group = record.get("ends_at"), record.get("date"), record.get("group_id")
        if raw_end is None or day is None or group is None:
            continue
        clock = dt.time.fromisoformat(str(raw_end))
        by_group = last_lessons.setdefault(dt.date.fromisoformat(str(day)), {})
        by_group[str(group)] = max(by_group.get(str(group), clock), clock)
    period_ends = [
        dt.date.fromisoformat(str(r["ends_on"]))
        for r in state.kind("period").values()
        if r.get("ends_on")
    ]
    plan = plan_syncs(
        load_profile(profile),
        last_lessons,
        start.astimezone(zone).date(),
        end.astimezone(zone).date(),
        period_ends=period_ends,
        lesson_starts=starts,
    )
    return [p for p in plan if start <= p.moment <= end]


@contextmanager
def _env(**values: str) -> Iterator[None]:
    """Credentials for the connectors come from the environment, as in production."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _staff_account(world: World, platform: str) -> dict[str, Any]:
    for role in ("deputy", "administrator"):
        for account in world.accounts:
            if account.get("role") == role and account.get("platform", platform) == platform:
                return account
    raise RuntimeError("в сценарии нет учётной записи заместителя директора или администратора")


class _Journal:
    """The journal platform's emulator and the connector that pulls it, for one demo run."""

    def __init__(
        self, world: World, platform: str, engine: Engine, stack: ExitStack, profile: str
    ) -> None:
        self.world = world
        self.platform = platform
        self.engine = engine
        self.profile = profile
        start = dt.datetime.fromisoformat(str(world.meta["starts_at"]))
        account = _staff_account(world, platform)
        self.login = str(account["login"])
        self.password = str(account["password"])
        meta = dict(world.meta.get("platform") or {})
        if platform == "eljur":
            from emulators.eljur.server import start_emulator as start_eljur

            ej = start_eljur(world, as_of=start)
            stack.callback(ej.stop)
            self._ej = ej
            self.url = ej.url
            self.deployment = str(meta.get("deployment") or "eljur.demo")
        elif platform == "poo":
            from emulators.poo.app import EmulatorConfig
            from emulators.poo.server import start_emulator

            running = start_emulator(EmulatorConfig(world=world, as_of=start))
            stack.callback(running.stop)
            self._poo = running
            self.url = running.url
            self.deployment = str(meta.get("deployment") or "poo.demo")
        else:
            from emulators.netschool.server import start_emulator as start_netschool

            ns = start_netschool(world, as_of=start)
            stack.callback(ns.stop)
            self._ns = ns
            self.url = ns.url
            self.deployment = str(meta.get("deployment") or "netschool.demo")
            self.school_id = int(meta.get("school_id") or account.get("school_id") or 0)
        self._start = start
        self._group_names: dict[str, str] | None = None

    def set_clock(self, moment: dt.datetime) -> None:
        if self.platform == "eljur":
            self._ej.set_clock(moment)
        elif self.platform == "poo":
            self._poo.emulator.set_clock(moment)
        else:
            self._ns.set_clock(moment)

    def _class_ids(self, groups: tuple[str, ...]) -> list[int] | None:
        """The stored NetSchool class ids of the plan's scenario groups, matched by name as
        an institution names its classes; ``None`` (pull the whole school) when one is unknown."""
        from local_store.schema import version_table

        if self._group_names is None:
            self._group_names = {
                str(r["id"]): str(r.get("name") or "")
                for r in self.world.state_as_of(self._start).kind("group").values()
            }
        named = self._group_names
        table = version_table("group")
        with self.engine.connect() as conn:
            stored = {
                str(name): str(ext)
                for ext, name in conn.execute(
                    select(table.c.external_id, table.c.f_name).where(
                        table.c.deployment == self.deployment,
                        table.c.superseded_run_id.is_(None),
                    )
                )
            }
        ids: list[int] = []
        for group in groups:
            found = stored.get(named.get(group, ""))
            if found is None or not found.isdigit():
                return None
            ids.append(int(found))
        return ids

    def _class_names(self, groups: tuple[str, ...]) -> frozenset[str]:
        """The plan's scenario groups by the names ЭлЖур knows its classes by."""
        if self._group_names is None:
            self._group_names = {
                str(r["id"]): str(r.get("name") or "")
                for r in self.world.state_as_of(self._start).kind("group").values()
            }
        return frozenset(self._group_names.get(g, g) for g in groups)

    def sync(
        self, moment: dt.datetime, *, first: bool, groups: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """One pull as of ``moment``; ``groups`` (scenario ids) narrows a NetSchool pull to
        those classes' current week, as the plan's sync at their deadline does."""
        if self.platform == "eljur":
            from connectors.eljur.client import ClientSettings
            from emulators.eljur.app import DEFAULT_DEVKEY
            from pipelines.eljur import EljurConfig, sync_eljur

            ej_config = EljurConfig(
                base_url=f"{self.url}/apiv3",
                vendor=self.deployment.split(".")[0],
                deployment=self.deployment,
                login=self.login,
                timezone=self.world.timezone,
                profile_id=self.profile,
                # the pipeline's own default: marks for an external work are due the working
                # day after its results, which comes ~1.5 weeks after the lesson; a 7-day window
                # missed the lesson's week at the deadline, leaving the verdict "possibly"
                window=Incremental(14),
                client=ClientSettings(class_pause=0.0),
                only_classes=None if first or not groups else self._class_names(groups),
            )
            ej_outcome = sync_eljur(
                self.engine, ej_config, DEFAULT_DEVKEY, self.password, as_of=moment, full=first
            )
            if ej_outcome.error:
                raise RuntimeError(ej_outcome.error)
            return {"run": ej_outcome.run_id, "requests": ej_outcome.requests}
        if self.platform == "poo":
            from connectors.poo.profiles import Deployment
            from pipelines.poo import PooSyncConfig, run_poo_sync

            deployment = Deployment(
                key="demo", region="", base_url=self.url, timezone=self.world.timezone, tenant=""
            )
            config = PooSyncConfig(
                deployment=deployment,
                login=self.login,
                password=self.password,
                profile_id=self.profile,
                pause=0.0,
                window=Incremental(7),
            )
            outcome = asyncio.run(run_poo_sync(self.engine, config, as_of=moment, whole_year=first))
            return {"run": outcome.run_id, "requests": outcome.requests}
        from pipelines.netschool import NetSchoolConfig, sync_netschool

        ns_config = NetSchoolConfig(
            base_url=self.url,
            deployment=self.deployment,
            school_id=self.school_id,
            login=self.login,
            timezone=self.world.timezone,
            profile_id=self.profile,
            window=Incremental.last_weeks(1),
        )
        only = None if first or not groups else self._class_ids(groups)
        ns_outcome = sync_netschool(
            self.engine, ns_config, self.password, full=first, only_classes=only
        )
        if ns_outcome.error:
            raise RuntimeError(ns_outcome.error)
        return {"run": ns_outcome.run_id, "requests": ns_outcome.requests}


LOCAL_REFERENCES = {
    "group_id": "group",
    "subject_id": "subject",
    "person_id": "person",
    "parent_id": "person",
    "child_id": "person",
    "reviewer_id": "person",
}
"""Columns of the institution's tables that name a journal record, and the record's kind."""


class JournalIds:
    """Scenario ids → the ids the journal pull stored, for the institution's own tables.

    An institution keeps its tables next to the journal and names a group, a
    student or a mark the way the journal shows it; the demo does the same.
    The scenario's record is found in the store by what a person recognises it
    by (a group by its name, a person by ФИО and birth date, a mark by its
    student, subject and day or period: ``demo.truth`` signatures),
    so it works for any platform's id scheme.  A record the journal does not
    show (a parent NetSchool keeps no card for) keeps the scenario's id.
    """

    INDEXED = ("group", "subject", "person")

    def __init__(self, engine: Engine, world: World, platform: str) -> None:
        from demo.truth import LEVELS, StoreRows, WorldRows, signature
        from local_store.schema import version_table

        self._signature = signature
        self._levels = LEVELS
        self.engine = engine
        self.world_rows = WorldRows(world)
        groups = version_table("group")
        with engine.connect() as conn:
            self.deployment = conn.execute(
                select(groups.c.deployment).where(groups.c.platform == platform).limit(1)
            ).scalar()
        self.store = StoreRows(engine, self.deployment or "")
        self.index: dict[str, list[dict[Any, set[str]]]] = {}
        self._marks: dict[str, list[dict[Any, set[str]]]] = {}
        self._cache: dict[tuple[str, str], str] = {}
        self.unresolved: set[tuple[str, str]] = set()
        self._ours: dict[tuple[str, str], list[dict[Any, set[str]]]] = {}
        self._by_student: dict[str, list[str]] | None = None
        for kind in self.INDEXED:
            self.index[kind] = self._build(kind, self._current_ids(kind))

    def _current_ids(self, kind: str, **where: str) -> list[str]:
        from local_store.schema import version_table

        if self.deployment is None:
            return []
        table = version_table(kind)
        query = select(table.c.external_id).where(table.c.deployment == self.deployment)
        for name, value in where.items():
            query = query.where(table.c[f"f_{name}"] == value)
        with self.engine.connect() as conn:
            return sorted({str(r) for r in conn.execute(query.distinct()).scalars()})

    def _build(self, kind: str, refs: list[str]) -> list[dict[Any, set[str]]]:
        self.store.prefetch_with_references(kind, refs)
        levels: list[dict[Any, set[str]]] = [{} for _ in range(self._levels)]
        for ref in refs:
            for level, key in enumerate(self._signature(self.store, kind, ref)):
                if key is not None:
                    levels[level].setdefault(key, set()).add(ref)
        return levels

    def resolve(self, kind: str, ref: str) -> str:
        """The stored id of scenario record ``ref``; ``ref`` itself when none is certain."""
        key = (kind, ref)
        if key not in self._cache:
            self._cache[key] = self._find(kind, ref)
        return self._cache[key]

    def _find(self, kind: str, ref: str) -> str:
        if kind == "mark":
            row = self.world_rows.row("mark", ref)
            student = None if row is None else row.get("student_id")
            if student is None:
                self.unresolved.add((kind, ref))
                return ref
            stored = self.resolve("person", str(student))
            if stored not in self._marks:
                self._marks[stored] = self._build(
                    "mark", self._current_ids("mark", student_id=stored)
                )
            index = self._marks[stored]
            ours = self._world_index(
                ("mark", str(student)), lambda: self._student_marks(str(student))
            )
        elif kind in self.index:
            index = self.index[kind]
            ours = self._world_index((kind, ""), lambda: self._world_ids(kind))
        else:
            return ref
        for level, wanted in enumerate(self._signature(self.world_rows, kind, ref)):
            if wanted is None or len(ours[level].get(wanted, ())) != 1:
                continue  # two scenario records look alike at this level: not certain
            hits = index[level].get(wanted)
            if hits and len(hits) == 1:
                return next(iter(hits))
        if kind == "mark":
            found = self._by_lesson_start(ref, index, ours)
            if found is not None:
                return found
        self.unresolved.add((kind, ref))
        return ref

    def _by_lesson_start(
        self, ref: str, index: list[dict[Any, set[str]]], ours: list[dict[Any, set[str]]]
    ) -> str | None:
        """Two marks of one student, subject and day (two lessons of it that day) look alike;
        the bell of their lesson tells them apart, as a teacher would."""
        from demo.truth import clock_key

        def start(side: Any, mark: str) -> str | None:
            row = side.row("mark", mark)
            lesson = side.row("lesson", row.get("lesson_id")) if row else None
            return clock_key(lesson.get("starts_at")) if lesson else None

        mine = start(self.world_rows, ref)
        if mine is None:
            return None
        for level, wanted in enumerate(self._signature(self.world_rows, "mark", ref)):
            if wanted is None:
                continue
            twins = [x for x in ours[level].get(wanted, ()) if start(self.world_rows, x) == mine]
            hits = [x for x in index[level].get(wanted, ()) if start(self.store, x) == mine]
            if len(twins) == 1 and len(hits) == 1:
                return hits[0]
        return None

    def _world_ids(self, kind: str) -> list[str]:
        table = self.world_rows.world.tables.get(kind)
        return [] if table is None else [str(r["id"]) for r in table.dicts()]

    def _student_marks(self, student: str) -> list[str]:
        if self._by_student is None:
            self._by_student = {}
            table = self.world_rows.world.tables.get("mark")
            for r in table.dicts() if table is not None else []:
                self._by_student.setdefault(str(r.get("student_id")), []).append(str(r["id"]))
        return self._by_student.get(student, [])

    def _world_index(
        self, key: tuple[str, str], refs: Callable[[], list[str]]
    ) -> list[dict[Any, set[str]]]:
        """The scenario side's records by signature level, so a match is certain both ways.

        Built once per key; ``refs`` is only listed then (listing a kind's whole table on
        every lookup made the institution's files quadratic in their rows)."""
        if key not in self._ours:
            levels: list[dict[Any, set[str]]] = [{} for _ in range(self._levels)]
            for ref in refs():
                for level, sig in enumerate(self._signature(self.world_rows, key[0], ref)):
                    if sig is not None:
                        levels[level].setdefault(sig, set()).add(ref)
            self._ours[key] = levels
        return self._ours[key]

    def row(self, kind: str, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` of a local ``kind`` with every journal reference in the journal's ids."""
        out = dict(row)
        for name, target in LOCAL_REFERENCES.items():
            if out.get(name) is not None:
                out[name] = self.resolve(target, str(out[name]))
        if kind == "person":
            out["id"] = self.resolve("person", str(out["id"]))
        if kind == "approval" and out.get("entity_id") is not None:
            out["entity_id"] = self.resolve(str(out.get("entity_kind")), str(out["entity_id"]))
        return out


def _write_local_files(
    world: World, moment: dt.datetime, folder: Path, ids: JournalIds | None = None
) -> dict[str, Path]:
    """The institution's own tables as it would keep them: one CSV (cp1251, «;») per kind.

    With ``ids``, records of the journal are named by the journal's ids (see ``JournalIds``),
    so the tables attach to what the pull stored.
    """
    from mapping.local_files import LOCAL_KINDS

    kinds = dict((world.meta.get("platform") or {}).get("kinds") or {}).get("local", [])
    state = world.state_as_of(moment, platform="local")
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for kind in kinds:
        if kind not in LOCAL_KINDS:
            continue
        rows = list(state.kind(kind).values())
        if not rows:
            continue
        if ids is not None:
            rows = [ids.row(kind, r) for r in rows]
        columns = ["id", *sorted({k for r in rows for k in r if k not in ("id", "created_at")})]
        path = folder / f"{kind}.csv"
        with path.open("w", encoding="cp1251", errors="replace", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_csv_value(row.get(c)) for c in columns])
        written[kind] = path
    return written


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _smev(world: World, stack: ExitStack, start: dt.datetime) -> tuple[Any, Any]:
    from emulators.smev3.app import build as build_smev
    from emulators.smev3.app import create_app, running
    from emulators.smev3.broker import BrokerConfig
    from pipelines.smev3.common import Smev3Options

    org_code = str(world.meta.get("institution_id") or "org")
    emulator = build_smev(
        world, as_of=start, org_code=org_code, config=BrokerConfig(signature="mock")
    )
    url = stack.enter_context(running(create_app(emulator)))
    # SVERKA_SMEV3_TRANSPORT=adapter: the same exchanges through the emulated «Адаптер СМЭВ».
    via_adapter = os.environ.get("SVERKA_SMEV3_TRANSPORT") == "adapter"
    options = Smev3Options(
        url=f"{url}/adapter/ws" if via_adapter else f"{url}/smev",
        transport="adapter" if via_adapter else "smev",
        mnemonic=emulator.broker.config.school if via_adapter else None,
        org_code=org_code,
        deployment="smev3.demo",
        timezone=str(world.meta.get("timezone") or "Europe/Moscow"),
        profile=str(world.meta["profile"]) if world.meta.get("profile") else None,
        backoff_base=0.05,
        backoff_cap=0.5,
        # exchanges are dated by the replayed moment, never by the host's clock
        data_clock=lambda: emulator.as_of,
    )
    return emulator, options


def run_demo(options: DemoOptions, progress: Progress | None = None) -> DemoResult:
    """Generate, serve, replay, check, reconcile, report and score; leaves nothing running."""
    import time

    from pipelines.local_files import import_local_file
    from pipelines.smev3.contingent import push_contingent, sync_contingent
    from pipelines.smev3.epgu import poll_epgu, sync_e_uslugi
    from policies.engine import run_check
    from policies.profiles import load_profile

    note = progress or (lambda _what, _done, _total: None)
    started = time.monotonic()
    out = options.out
    _fresh_output(out)

    note("Генерация сценария", 0, 1)
    generated = build(options.profile, options.students, options.weeks, options.seed)
    scenario_path = out / "scenario.json"
    _, truth_path = write_scenario(scenario_path, generated.scenario, generated.truth)
    world = World.from_dict(generated.scenario)
    platform = str((world.meta.get("platform") or {}).get("demo_journal") or "netschool")
    if platform not in ("poo", "netschool", "eljur"):
        platform = "netschool"
    store_path = out / "store.sqlite"
    engine = open_store(str(store_path))
    profile = load_profile(options.profile)
    moments = plan_moments(world, options.profile)
    result = DemoResult(
        options.profile, platform, scenario_path, truth_path, store_path, len(moments), 0
    )
    start = dt.datetime.fromisoformat(str(world.meta["starts_at"]))
    counters: Counter[str] = Counter()
    unresolved: set[tuple[str, str]] = set()
    try:
        with ExitStack() as stack:
            journal = _Journal(world, platform, engine, stack, options.profile)
            smev, smev_options = _smev(world, stack, start)
            local_dir = out / "institution-files"
            zone = ZoneInfo(world.timezone)
            for step, planned in enumerate(moments, start=1):
                moment = planned.moment
                note(
                    f"{moment.astimezone(zone):%d.%m %H:%M}: синхронизация",
                    step - 1,
                    len(moments),
                )
                journal.set_clock(moment)
                smev.as_of = moment
                # the first pull and the plan's re-reads take the whole period; a group's
                # sync pulls just its classes' current week (NetSchool) or the recent window
                journal.sync(moment, first=step == 1 or planned.full, groups=planned.groups)
                result.syncs += 1
                if planned.whole_journal and moment.astimezone(zone).time() == DAY_CLOSE:
                    ids = JournalIds(engine, world, platform)
                    files = _write_local_files(world, moment, local_dir, ids)
                    unresolved |= ids.unresolved
                    for kind, path in files.items():
                        import_local_file(
                            engine,
                            path,
                            kind,
                            # named after the journal's deployment as the pull stored it
                            # (a ПОО pull names it by its server), so the files attach to it
                            deployment=f"local:{ids.deployment or journal.deployment}",
                            observed_at=moment,
                        )
                    # the registry as it stands before today's push, as an institution that
                    # reconciles nightly sees it: a lag is found here, then healed by the push
                    asyncio.run(sync_contingent(engine, smev_options, observed_at=moment))
                    run_check(engine, profile)
                    push = asyncio.run(push_contingent(engine, smev_options))
                    _count_push(counters, push)
                    smev.epgu.send_due(smev.broker, moment)
                    epgu = asyncio.run(poll_epgu(engine, smev_options))
                    counters["epgu_received"] += epgu.received
                    counters["epgu_provided"] += epgu.provided
                    counters["epgu_refused"] += epgu.refused
                    smev.e_uslugi.send_due(smev.broker, moment)
                    notices = asyncio.run(sync_e_uslugi(engine, smev_options))
                    counters["e_uslugi_received"] += notices.received
            end = moments[-1].moment if moments else start
            if unresolved:
                # Records the journal does not show (NetSchool keeps no parents' cards).
                log.info(
                    "demo.local_files.unresolved",
                    by_kind=dict(Counter(kind for kind, _ in unresolved)),
                )
            note("Сверка с реестром контингента", len(moments), len(moments))
            asyncio.run(sync_contingent(engine, smev_options, observed_at=end))
            run_check(engine, profile)
    finally:
        engine.dispose()
    engine = open_store(str(store_path))
    try:
        result.discrepancies = _reconcile(engine, end, result)
        result.outbox = {
            "planned": counters["push_planned"],
            "delivered": counters["push_delivered"],
            "failed": counters["push_failed"],
        }
        result.registry = {
            "accepted": counters["registry_accepted"],
            "rejected": counters["registry_rejected"],
            "duplicates": counters["registry_duplicates"],
        }
        result.epgu = {
            "received": counters["epgu_received"],
            "answered": counters["epgu_provided"],
            "refused": counters["epgu_refused"],
            "e_uslugi_notices": counters["e_uslugi_received"],
        }
        result.rules, result.possibly = _score(engine, world, generated.truth, options.profile)
        result.refusals = _refusals(engine)
        result.unchecked = [
            {"rule_id": str(n["rule_id"]), "reason": str(n["reason"])}
            for n in generated.truth.get("not_planted", [])
            if str(n.get("reason", "")).startswith("не проверяется")
        ]
        _write_violations(engine, out, result)
        _write_reports(engine, out, end, result)
    finally:
        engine.dispose()
    result.paths.update(
        {
            "folder": str(out),
            "store": str(store_path),
            "scenario": str(scenario_path),
            "truth": str(truth_path),
            "log": str(out / "logs" / "demo.log"),
        }
    )
    result.seconds = time.monotonic() - started
    (out / "summary.json").write_text(
        json.dumps(result.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    result.paths["summary"] = str(out / "summary.json")
    return result


def _fresh_output(out: Path) -> None:
    """A second run starts from a clean folder; nothing else on the disk is touched."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("store.sqlite", "store.sqlite-wal", "store.sqlite-shm", "summary.json"):
        (out / name).unlink(missing_ok=True)
    for folder in ("reports", "institution-files"):
        shutil.rmtree(out / folder, ignore_errors=True)
    (out / "logs").mkdir(exist_ok=True)


def _count_push(counters: Counter[str], push: Any) -> None:
    counters["push_planned"] += len(getattr(push.plan, "queued", []) or [])
    if push.delivery is not None:
        counters["push_delivered"] += push.delivery.sent + push.delivery.delivered
        counters["push_failed"] += len(push.delivery.failed)
    if push.feedback is not None:
        counters["registry_accepted"] += push.feedback.accepted
        counters["registry_rejected"] += len(push.feedback.rejected)
        counters["registry_duplicates"] += push.feedback.duplicates


def _reconcile(engine: Engine, at: dt.datetime, result: DemoResult) -> dict[str, int]:
    from local_store.reconcile import reconcile

    try:
        outcome = reconcile(engine, at=at)
    except Exception as exc:  # the demo reports what failed and goes on with the rest
        result.problems.append(f"сверка источников не выполнена: {type(exc).__name__}: {exc}")
        return {}
    return {str(k): int(v) for k, v in outcome.by_rule().items()}


def _score(
    engine: Engine, world: World, truth: dict[str, Any], profile: str
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    from demo.truth import score_by_signature

    matching = score_by_signature(engine, world, truth, profile_id=profile)
    possibly: dict[str, list[str]] = {}
    healed: Counter[str] = Counter()
    for item in matching.found:
        if item.possibly:
            possibly.setdefault(item.rule_id, []).append(item.matched or item.label)
        if item.healed:
            healed[item.rule_id] += 1
    rows = [
        {
            "rule_id": s.rule_id,
            "planted": s.expected,
            "found": s.found,
            "matched": s.true_positive,
            "precision": round(s.precision, 3),
            "recall": round(s.recall, 3),
            "possibly": len(possibly.get(s.rule_id, [])),
            "healed": healed[s.rule_id],
        }
        for s in matching.scores
    ]
    return rows, {k: sorted(v) for k, v in sorted(possibly.items())}


def _refusals(engine: Engine) -> list[dict[str, str]]:
    """The refused applications with their reasons: where a deputy sees that a stranger
    asking about a child was refused, and why."""
    from canonical.requests import EpguRequest, EpguRequestStatus
    from local_store.history import records_as_of

    return [
        {"order_id": r.order_id, "reason": r.status_reason or ""}
        for r in sorted(
            (r for r in records_as_of(engine, "epgu_request") if isinstance(r, EpguRequest)),
            key=lambda r: (r.received_at, r.order_id),
        )
        if r.status is EpguRequestStatus.REFUSED
    ]


def _write_violations(engine: Engine, out: Path, result: DemoResult) -> None:
    from local_store.violations import list_violations
    from reports.violations_json import violation_json

    rows = [violation_json(v) for v in list_violations(engine)]
    json_path = out / "violations.json"
    json_path.write_text(
        json.dumps(rows, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    csv_path = out / "violations.csv"
    _write_violations_csv(engine, csv_path)
    result.paths["violations_json"] = str(json_path)
    result.paths["violations_csv"] = str(csv_path)


def _write_violations_csv(engine: Engine, path: Path) -> None:
    """The deputy's table for Excel: Russian titles and values, names, local times."""
    from canonical.wording import ru_moment
    from local_store.violations import list_violations
    from reports.deputy import ROLE_RU, STATUS_RU, journal_lookup
    from reports.evidence_text import evidence_lines
    from reports.titles import ENTITY_RU, rule_title

    verdicts = {"violated": "нарушено", "possibly_violated": "возможно нарушено"}
    journal = journal_lookup(engine)
    zone = str(journal.institution["timezone"]) if journal and journal.institution else "UTC"
    group_name = journal.group_name if journal is not None else None
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            [
                "Правило",
                "Состояние",
                "Вердикт",
                "Что проверялось",
                "Группа",
                "Срок",
                "Ответственный",
                "Пункт положения",
                "Описание",
                "Доказательства",
            ]
        )
        for v in list_violations(engine):
            role = ROLE_RU.get(str(v["responsible_role"] or ""), "")
            person = v["responsible_person"]
            who = journal.name_of(person) if person and journal is not None else ""
            if who.startswith("("):
                who = ""
            group = journal.group_name(v["group_key"]) if v["group_key"] and journal else ""
            writer.writerow(
                [
                    rule_title(str(v["rule_id"])),
                    STATUS_RU.get(str(v["status"]), ""),
                    verdicts.get(str(v["verdict"]), ""),
                    ENTITY_RU.get(str(v["entity_kind"]), "запись"),
                    group if group != v["group_key"] else "",
                    ru_moment(v["deadline"], zone) if v["deadline"] else "",
                    f"{who} ({role})" if who and role else (who or role),
                    v["clause"] or "",
                    v["message"] or "",
                    "; ".join(evidence_lines(v["evidence"], zone, group_name)),
                ]
            )


def _write_reports(engine: Engine, out: Path, at: dt.datetime, result: DemoResult) -> None:
    try:
        from reports.bundle import write_all

        bundle = write_all(engine, out / "reports", now=at)
    except Exception as exc:
        result.problems.append(f"отчёты не сформированы: {type(exc).__name__}: {exc}")
        return
    result.paths["reports"] = str(out / "reports")
    result.problems.extend(bundle.problems)
