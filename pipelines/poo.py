"""The «Модуль ПОО» pipeline: pull a whole college into the store.

The job (:func:`run_poo_sync`) is what the CLI and the scheduler call: one
sync run; the structure (people, groups, orders) ingested as one scope, then
each group's journal by week, its КТП by subject and its attestation by term,
one transaction per group, so a failure leaves only complete scopes behind
and the next run simply pulls again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import structlog
from sqlalchemy import Engine

from canonical.base import Record
from connectors.poo.client import PooClient
from connectors.poo.errors import PooError
from connectors.poo.profiles import Deployment, find_deployment
from connectors.poo.pull import check_permissions, pull_group, pull_structure
from connectors.poo.wire import Structure
from local_store.hold import guarded_ingest
from local_store.ingest import IngestResult, Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from mapping.poo import (
    MapContext,
    StudentIndex,
    map_group_journal,
    map_structure,
    teacher_index,
)
from pipelines import scopes
from pipelines.outcome import SyncOutcome
from pipelines.screening import checked_snapshot
from pipelines.settings import POO_PASSWORD_ENV, SettingsError, read_section, require_secret
from pipelines.window import Incremental, monday

log = structlog.get_logger("sync.poo")
WHERE = "«Модуль ПОО»"

SOURCE = "poo"
PASSWORD_ENV = POO_PASSWORD_ENV
STRUCTURE_KINDS = (
    "institution",
    "school_year",
    "period",
    "group",
    "subject",
    "person",
    "parent_link",
    "movement_order",
    "enrolment",
    "work_kind",
)
JOURNAL_KINDS = ("lesson", "homework", "mark", "absence")
PLAN_KINDS = ("plan", "plan_item", "teaching_assignment")


@dataclass(frozen=True)
class PooSyncConfig:
    deployment: Deployment
    login: str
    password: str
    profile_id: str = ""
    pause: float = 0.5
    timeout: float = 30.0
    attempts: int = 5
    backoff: float = 0.5
    window: Incremental = field(default_factory=Incremental)


def weeks_between(start: dt.date, end: dt.date) -> list[dt.date]:
    out = []
    week = monday(start)
    while week <= end:
        out.append(week)
        week += dt.timedelta(days=7)
    return out


async def run_poo_sync(
    engine: Engine,
    config: PooSyncConfig,
    *,
    as_of: dt.datetime | None = None,
    whole_year: bool = False,
    progress: Callable[[str], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SyncOutcome:
    """Pull the college as of ``as_of`` (now by default) and ingest it in one sync run."""
    deployment = config.deployment
    observed = as_of or dt.datetime.now(dt.UTC)
    window = config.window.widened(whole_year)
    today = observed.astimezone(ZoneInfo(deployment.timezone)).date()
    ctx = MapContext(deployment.deployment_id, deployment.timezone, config.profile_id)
    note = progress or (lambda _: None)
    run_id = start_run(
        engine,
        SOURCE,
        deployment=deployment.deployment_id,
        scope=scopes.poo_run(window.label),
        job="sync",
        observed_at=observed,
    )
    result = IngestResult()
    held: list[str] = []
    records = 0
    warnings: list[str] = []
    client = PooClient(
        deployment,
        config.login,
        config.password,
        pause=config.pause,
        timeout=config.timeout,
        attempts=config.attempts,
        backoff=config.backoff,
        transport=transport,
    )
    try:
        async with client:
            check_permissions(client)
            structure = await pull_structure(client, note)
            mapped = map_structure(structure, ctx)
            warnings += mapped.warnings
            guard = guarded_ingest(
                engine,
                run_id,
                checked_snapshot(
                    scopes.poo_structure(deployment.deployment_id),
                    mapped.records,
                    STRUCTURE_KINDS,
                    warnings,
                    WHERE,
                ),
            )
            if guard.held:
                # Too much of the contingent would change at once (a broken filter, a half
                # migrated tenant): the run waits for a person; journals are not pulled on it.
                held = guard.reasons
            else:
                assert guard.result is not None
                result.merge(guard.result)
                records += len(mapped.records)
                note("structure-ingested")
                starts = [
                    e.startDate.date()
                    for es in structure.entries.values()
                    for e in es
                    if e.startDate
                ]
                window_start = window.start(today, min(starts, default=today))
                records += await _pull_journals(
                    engine, run_id, client, structure, ctx, (window_start, today), result,
                    warnings, note,
                )  # fmt: skip
    except PooError as exc:
        finish_run(engine, run_id, RunStatus.FAILED, counts=result.as_dict(), error=str(exc))
        raise
    except BaseException as exc:
        finish_run(
            engine, run_id, RunStatus.FAILED, counts=result.as_dict(), error=type(exc).__name__
        )
        raise
    if not held:
        finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=result.as_dict())
    for warning in warnings:
        log.warning("poo.mapping", detail=warning)
    return SyncOutcome(
        run_id,
        RunStatus.HELD if held else RunStatus.SUCCEEDED,
        observed,
        counts=result,
        requests=client.requests,
        retries=client.retries,
        relogins=client.relogins,
        records=records,
        warnings=warnings,
        held=held,
    )


async def _pull_journals(
    engine: Engine,
    run_id: int,
    client: PooClient,
    structure: Structure,
    ctx: MapContext,
    window: tuple[dt.date, dt.date],
    result: IngestResult,
    warnings: list[str],
    note: Callable[[str], None],
) -> int:
    """Each group's journal, mapped and ingested in one transaction per group; records written."""
    students = StudentIndex(structure)
    teachers = teacher_index(structure)
    groups = {g.id: g for g in structure.groups}
    seen_finals: set[str] = set()
    records = 0
    # the days of the window's weeks: what _group_snapshots ingests of the dated records
    weeks = (monday(window[0]), monday(window[1]) + dt.timedelta(days=6))
    for group_id, entries in sorted(structure.entries.items()):
        group = groups.get(group_id)
        if group is None:
            continue
        journal = await pull_group(client, group, entries, window, note)
        jm = map_group_journal(journal, structure, students, teachers, ctx, days=weeks)
        warnings += jm.warnings
        # A student who changed groups may appear on both groups' sheets: one scope
        # owns each final mark, or the two scopes would take it from each other.
        for period, finals in jm.finals.items():
            jm.finals[period] = [r for r in finals if r.source.external_id not in seen_finals]
            seen_finals.update(r.source.external_id for r in finals)
        snapshots = _group_snapshots(ctx.deployment, group_id, journal, jm, window, warnings)
        result.merge(ingest(engine, run_id, snapshots))
        records += sum(len(s.records) for s in snapshots)
        note("group")
    return records


def _group_snapshots(
    deployment: str,
    group_id: int,
    journal: Any,
    jm: Any,
    window: tuple[dt.date, dt.date],
    warnings: list[str] | None = None,
) -> list[Snapshot]:
    """Week scopes inside the window and the fetched terms, КТП per subject, attestation per term.

    Every value is checked on the way (``pipelines.screening``); what was kept out is reported
    in ``warnings``.
    """
    problems = [] if warnings is None else warnings
    snapshots: list[Snapshot] = []
    ranges = []
    for entry, _subject, _answer in journal.subjects:
        if entry.startDate and entry.endDate:
            ranges.append((entry.startDate.date(), entry.endDate.date()))
    by_week: dict[dt.date, list[Record]] = {}
    for day, record in jm.dated:
        by_week.setdefault(monday(day), []).append(record)
    start, end = window
    for week in weeks_between(start, end):
        week_end = week + dt.timedelta(days=6)
        if not any(a <= week_end and b >= week for a, b in ranges):
            continue
        snapshots.append(
            checked_snapshot(
                scopes.poo_journal(deployment, group_id, week),
                by_week.get(week, []),
                JOURNAL_KINDS,
                problems,
                WHERE,
            )
        )
    plans: dict[str, list[Record]] = {}
    subjects = {str(subject.id) for _e, subject, _a in journal.subjects}
    for record in jm.plans:
        subject_id = getattr(record, "subject_id", None)
        if subject_id is None:
            plan_id = str(getattr(record, "plan_id", ""))
            subject_id = plan_id.partition(":")[2]
        plans.setdefault(str(subject_id), []).append(record)
    for subject_id in sorted(subjects):
        snapshots.append(
            checked_snapshot(
                scopes.poo_plan(deployment, group_id, subject_id),
                plans.get(subject_id, []),
                PLAN_KINDS,
                problems,
                WHERE,
            )
        )
    for period, finals in sorted(jm.finals.items()):
        snapshots.append(
            checked_snapshot(
                scopes.poo_attestation(deployment, group_id, period),
                finals,
                ("mark",),
                problems,
                WHERE,
            )
        )
    return snapshots


# -- configuration ------------------------------------------------------------------------------


def load_config(path: Path) -> PooSyncConfig:
    """The ``[poo]`` table of a TOML file; the password never comes from it."""
    section = read_section(path, "poo")
    name = section.get("deployment")
    deployment = find_deployment(str(name)) if name else None
    if name and deployment is None:
        raise SettingsError(f"в файле {path}: неизвестное развёртывание «{name}» (deployment)")
    base_url = section.get("base_url") or section.get("url")
    if deployment is None:
        if not base_url:
            raise SettingsError(f"в файле {path} не указан ни deployment, ни base_url (url)")
        timezone = str(section.get("timezone", "Europe/Moscow"))
        deployment = Deployment("custom", "", str(base_url), timezone)
    deployment = deployment.with_overrides(
        base_url=str(base_url) if base_url else None,
        tenant=str(section["tenant"]) if "tenant" in section else None,
        timezone=str(section["timezone"]) if "timezone" in section else None,
    )
    try:
        ZoneInfo(deployment.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"в файле {path}: неизвестный часовой пояс «{deployment.timezone}»"
        ) from None
    login = section.get("login")
    if not login:
        raise SettingsError(f"в файле {path} не указан логин (login)")
    secrets_file = section.get("secrets_file")
    if secrets_file and not Path(secrets_file).is_absolute():
        secrets_file = str(path.parent / secrets_file)
    password = require_secret(PASSWORD_ENV, secrets_file, "пароль")
    try:
        return PooSyncConfig(
            deployment=deployment,
            login=str(login),
            password=password,
            profile_id=str(section.get("profile", "")),
            pause=float(section.get("pause", 0.5)),
            timeout=float(section.get("timeout", 30)),
            attempts=int(section.get("attempts", 5)),
            backoff=float(section.get("backoff", 0.5)),
            window=Incremental.from_settings(section, default_days=14, where=str(path)),
        )
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"в файле {path}: неверное числовое значение ({exc})") from None


def sync_poo_job(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """The scheduler's entry point: ``params["config"]`` is the TOML file."""
    cfg = load_config(Path(str(params["config"])))
    outcome = asyncio.run(
        run_poo_sync(engine, cfg, as_of=now, whole_year=bool(params.get("whole_year", False)))
    )
    return outcome.counts.as_dict()
