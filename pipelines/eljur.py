"""One ЭлЖур sync run: pull a school with the school-level account, map, guard, ingest, record.

The structure (periods, classes, students, class teachers) is one guarded
scope; then every class's timetable is pulled (a mark's class is its lesson's,
which a mover's diary may hold from a former class); then each class's
diaries and period marks are pulled and ingested in one transaction
(a scope per class × week for lessons, homework, marks and absences, one for
the class's period marks); subjects and kinds of work are each their own
scope, so no class takes them from another.  A failure half-way keeps the
complete scopes and records a failed run; the next run pulls again.
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
from pydantic import ValidationError
from sqlalchemy import Engine

from canonical.base import Record
from connectors.eljur.client import ClientSettings, EljurClient
from connectors.eljur.deployments import find_deployment, vendor_from_host
from connectors.eljur.errors import EljurError
from connectors.eljur.pull import pause, pull_diaries, pull_schedule, pull_structure
from connectors.eljur.wire import ClassSchedule, SchoolStructure
from local_store.hold import guarded_ingest
from local_store.ingest import IngestResult, Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from mapping.eljur import (
    ClassRecords,
    Source,
    lesson_index,
    map_class_journal,
    map_structure,
    ymd,
)
from pipelines.outcome import SyncOutcome
from pipelines.screening import checked_snapshot
from pipelines.settings import (
    ELJUR_DEVKEY_ENV,
    ELJUR_PASSWORD_ENV,
    SettingsError,
    read_section,
    require_secret,
)
from pipelines.window import Incremental, monday

log = structlog.get_logger("sync.eljur")
WHERE = "ЭлЖур"

SOURCE = "eljur"
PASSWORD_ENV = ELJUR_PASSWORD_ENV
DEVKEY_ENV = ELJUR_DEVKEY_ENV
STRUCTURE_KINDS = ("institution", "school_year", "period", "group", "person")
JOURNAL_KINDS = ("lesson", "homework", "mark", "absence")


@dataclass(frozen=True)
class EljurConfig:
    base_url: str
    """The API root, e.g. ``https://mazanka.eljur.ru/apiv3``."""
    vendor: str
    deployment: str
    """The store's name for the school's instance, e.g. ``mazanka.eljur.ru``."""
    login: str
    timezone: str
    profile_id: str = ""
    region: str = ""
    window: Incremental = field(default_factory=Incremental)
    """How far back an ordinary run pulls (``lookback_days``/``lookback_weeks`` in settings)."""
    ahead_days: int = 14
    """Lessons published ahead are pulled too: topics and homework entered in advance count."""
    client: ClientSettings = field(default_factory=ClientSettings)
    secrets_file: str | None = None
    only_classes: frozenset[str] | None = None
    """Pull just these classes (by name), as the evidence plan's pull at a bell does;
    ``None``: the whole school."""


def _window(
    structure: SchoolStructure, today: dt.date, full: bool, config: EljurConfig
) -> tuple[dt.date, dt.date]:
    """Whole weeks, Monday to Sunday: from the year's start (full) or the lookback, to a while ahead."""
    starts = [d for d in (ymd(p.start) for p in structure.periods) if d]
    first = config.window.widened(full).start(today, monday(min(starts, default=today)))
    last = today + dt.timedelta(days=config.ahead_days)
    return first, monday(last) + dt.timedelta(days=6)


def class_snapshots(
    base: str,
    class_name: str,
    window: tuple[dt.date, dt.date],
    mapped: ClassRecords,
    catalog: set[str],
    warnings: list[str] | None = None,
) -> list[Snapshot]:
    """Week scopes covering the window, the class's period marks, one scope per catalog entry.

    Every value is checked on the way (``pipelines.screening``); what was kept out is reported
    in ``warnings``.
    """
    problems = [] if warnings is None else warnings
    by_week: dict[dt.date, list[Record]] = {}
    for day, record in mapped.dated:
        by_week.setdefault(monday(day), []).append(record)
    snapshots = []
    week = monday(window[0])
    while week <= window[1]:
        snapshots.append(
            checked_snapshot(
                f"{base}:journal:{class_name}:{week.isoformat()}",
                by_week.get(week, []),
                JOURNAL_KINDS,
                problems,
                WHERE,
            )
        )
        week += dt.timedelta(days=7)
    snapshots.append(
        checked_snapshot(f"{base}:finals:{class_name}", mapped.finals, ("mark",), problems, WHERE)
    )
    entries: list[tuple[str, str, Record]] = [
        ("subject", n, r) for n, r in sorted(mapped.subjects.items())
    ]
    entries += [("work_kind", n, r) for n, r in sorted(mapped.work_kinds.items())]
    # who teaches a subject: kept until the class's lessons name another teacher
    entries += [
        ("teaching_assignment", f"{class_name}:{n}", r)
        for n, r in sorted(mapped.assignments.items())
    ]
    for kind, name, record in entries:
        scope = f"{base}:{kind}:{name}"
        if scope not in catalog:  # ``catalog``: scopes this run already wrote
            catalog.add(scope)
            snapshots.append(checked_snapshot(scope, [record], (kind,), problems, WHERE))
    return snapshots


async def _run(
    engine: Engine,
    config: EljurConfig,
    devkey: str,
    password: str,
    as_of: dt.datetime | None,
    full: bool,
    progress: Callable[[str], None],
    transport: httpx.AsyncBaseTransport | None,
    job: str | None,
) -> SyncOutcome:
    source = Source(config.deployment, config.timezone, config.profile_id, config.region)
    base = f"{SOURCE}:{config.deployment}"
    client = EljurClient(
        config.base_url,
        config.vendor,
        devkey,
        config.login,
        password,
        settings=config.client,
        transport=transport,
    )
    result = IngestResult()
    warnings: list[str] = []
    records = 0
    run_id: int | None = None

    def observed() -> dt.datetime:
        return as_of or client.server_time or dt.datetime.now(dt.UTC)

    def outcome(
        status: RunStatus, error: str | None = None, held: list[str] | None = None
    ) -> SyncOutcome:
        assert run_id is not None
        return SyncOutcome(
            run_id,
            status,
            observed(),
            counts=result,
            requests=client.requests,
            retries=client.retries,
            relogins=client.renewals,
            records=records,
            error=error,
            warnings=warnings,
            held=held or [],
        )

    try:
        async with client:
            structure = await pull_structure(client)
            mapped = map_structure(structure, source)
            warnings += mapped.warnings
            run_id = start_run(
                engine,
                SOURCE,
                deployment=config.deployment,
                scope=f"school:{config.window.widened(full).label}".rstrip(":"),
                job=job,
                observed_at=observed(),
            )
            guard = guarded_ingest(
                engine,
                run_id,
                checked_snapshot(
                    f"{base}:structure", mapped.records, STRUCTURE_KINDS, warnings, WHERE
                ),
            )
            if guard.held:
                return outcome(RunStatus.HELD, held=guard.reasons)
            assert guard.result is not None
            result.merge(guard.result)
            records += len(mapped.records)
            progress("structure")
            today = observed().astimezone(ZoneInfo(config.timezone)).date()
            window = _window(structure, today, full, config)
            catalog: set[str] = set()
            # Every timetable first: a mover's diary holds lessons of their former class,
            # and only the whole school's timetables tell which class a mark belongs to.
            chosen = [
                c
                for c in structure.classes()
                if config.only_classes is None or c in config.only_classes
            ]
            schedules: dict[str, ClassSchedule] = {}
            for number, class_name in enumerate(chosen):
                if number:
                    await pause(client)
                schedules[class_name] = await pull_schedule(client, class_name, window)
            lessons = lesson_index(schedules)
            for number, class_name in enumerate(chosen):
                if number:
                    await pause(client)
                journal = await pull_diaries(
                    client, structure, class_name, window, schedules.pop(class_name)
                )
                jm = map_class_journal(journal, structure, source, lessons)
                warnings += jm.warnings
                snapshots = class_snapshots(base, class_name, window, jm, catalog, warnings)
                result.merge(ingest(engine, run_id, snapshots))
                records += sum(len(s.records) for s in snapshots)
                progress("class")
    except (EljurError, ValidationError) as exc:
        message = (
            str(exc)
            if isinstance(exc, EljurError)
            else (f"данные ЭлЖур не удалось перевести в общую модель: {str(exc).splitlines()[0]}")
        )
        if run_id is None:
            run_id = start_run(
                engine,
                SOURCE,
                deployment=config.deployment,
                scope="school",
                job=job,
                observed_at=observed(),
            )
        finish_run(engine, run_id, RunStatus.FAILED, counts=result.as_dict(), error=message)
        return outcome(RunStatus.FAILED, message)
    except BaseException as exc:
        if run_id is not None:
            finish_run(
                engine, run_id, RunStatus.FAILED, counts=result.as_dict(), error=type(exc).__name__
            )
        raise
    finish_run(
        engine,
        run_id,
        RunStatus.SUCCEEDED,
        counts={**result.as_dict(), "_requests": client.requests},
    )
    for warning in warnings:
        log.warning("eljur.mapping", detail=warning)
    return outcome(RunStatus.SUCCEEDED)


def sync_eljur(
    engine: Engine,
    config: EljurConfig,
    devkey: str,
    password: str,
    *,
    as_of: dt.datetime | None = None,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    job: str | None = None,
) -> SyncOutcome:
    """Pull the school as of ``as_of`` (the server's clock by default) and ingest it in one run."""
    return asyncio.run(
        _run(
            engine,
            config,
            devkey,
            password,
            as_of,
            full,
            progress or (lambda _: None),
            transport,
            job,
        )
    )


# -- settings -------------------------------------------------------------------------------------


def load_config(path: str | Path) -> EljurConfig:
    """The ``[eljur]`` table of a TOML settings file; the password and devkey never come from it.

    ``deployment`` is the school's host (``mazanka.eljur.ru``) or a regional host of the
    deployment table (``edu.rk.gov.ru``, then ``vendor`` is required); ``url`` overrides the
    API root (an emulator: ``http://127.0.0.1:8082/apiv3``).
    """
    section = read_section(path, "eljur")
    if "devkey" in section:
        raise SettingsError(
            f"в файле настроек {path} указан devkey: храните его в переменной окружения "
            f"{DEVKEY_ENV} или в файле секретов, не в настройках"
        )
    host = str(section.get("deployment") or "").strip()
    if not host:
        raise SettingsError(
            f"в файле настроек {path} не указан deployment (адрес школы, например mazanka.eljur.ru)"
        )
    known = find_deployment(host)
    vendor = str(section.get("vendor") or "").strip()
    if not vendor:
        if known is not None and known.vendor:
            vendor = known.vendor
        elif known is None or known.kind == "vendor":
            vendor = vendor_from_host(host)
        else:
            raise SettingsError(
                f"в файле настроек {path} не указан vendor (школа на сервере {host})"
            )
    url = str(section.get("url") or "").strip()
    if not url:
        if known is None:
            raise SettingsError(
                f"в файле настроек {path}: сервер {host} не известен, укажите url (корень API)"
            )
        url = (
            known.base_url(vendor)
            if known.kind == "vendor"
            else (known.host_template.rstrip("/") + known.api)
        )
    timezone = str(section.get("timezone") or (known.timezone if known else "Europe/Moscow"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"в файле настроек {path}: неизвестный часовой пояс «{timezone}»"
        ) from None
    if not section.get("login"):
        raise SettingsError(f"в файле настроек {path} не указан login")
    secrets_file = section.get("secrets_file")
    if secrets_file and not Path(str(secrets_file)).is_absolute():
        secrets_file = str(Path(path).parent / str(secrets_file))
    try:
        client = ClientSettings(
            concurrency=int(section.get("concurrency", 2)),
            class_pause=float(section.get("class_pause", 0.5)),
            timeout=float(section.get("timeout", 30)),
            attempts=int(section.get("attempts", 5)),
            backoff=float(section.get("backoff", 0.3)),
        )
        return EljurConfig(
            base_url=url,
            vendor=vendor,
            deployment=host,
            login=str(section["login"]),
            timezone=timezone,
            profile_id=str(section.get("profile", "")),
            region=str(section.get("region") or (known.region if known else "")),
            window=Incremental.from_settings(section, default_days=14, where=str(path)),
            ahead_days=int(section.get("ahead_days", 14)),
            client=client,
            secrets_file=str(secrets_file) if secrets_file else None,
        )
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"в файле настроек {path}: неверное числовое значение ({exc})"
        ) from None


def credentials(config: EljurConfig, secrets_file: str | Path | None = None) -> tuple[str, str]:
    """(devkey, password) from the environment or the secrets file."""
    where = secrets_file or config.secrets_file
    devkey = require_secret(DEVKEY_ENV, where, "ключ разработчика ЭлЖур (devkey)")
    password = require_secret(PASSWORD_ENV, where, "пароль ЭлЖур")
    return devkey, password


def sync_eljur_job(
    engine: Engine, params: Mapping[str, Any], now: dt.datetime
) -> Mapping[str, Any]:
    """The scheduler's entry point: ``params["config"]`` is the TOML file; a failed run raises."""
    config = load_config(str(params["config"]))
    devkey, password = credentials(config)
    outcome = sync_eljur(
        engine, config, devkey, password, full=bool(params.get("full")), job="sync"
    )
    if outcome.error:
        raise RuntimeError(outcome.error)
    return outcome.counts.as_dict() if outcome.counts else {}
