"""The NetSchool pipeline: pull a school from «Сетевой город» into the store.

The pull runs first and completely in memory; only then is one sync run
opened and every scope ingested in one transaction.  A failed pull is
recorded as a failed run with nothing ingested, so the next run simply starts
again (nothing is half-written).  ``observed_at`` is the server's clock (its
``Date`` header), which for the emulator is its scenario clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import ValidationError
from sqlalchemy import Engine, and_, select

from connectors.netschool.client import ClientSettings, NetSchoolClient
from connectors.netschool.deployments import deployment as known_deployment
from connectors.netschool.errors import NetSchoolError
from connectors.netschool.pull import Progress as PullProgress
from connectors.netschool.pull import pull_institution
from connectors.netschool.wire import InstitutionPull, StudentParent
from local_store.hold import guarded_ingest
from local_store.ingest import Snapshot
from local_store.runs import RunStatus, finish_run, start_run
from local_store.schema import entity, version_table
from mapping.netschool import (
    JOURNAL_KINDS,
    RELATIONS,
    STRUCTURE_KINDS,
    Source,
    map_journal_entries,
    map_structure,
    map_totals,
)
from pipelines import scopes
from pipelines.outcome import SyncOutcome
from pipelines.screening import checked_snapshot
from pipelines.settings import NETSCHOOL_PASSWORD_ENV, SettingsError, read_section, require_secret
from pipelines.window import Incremental

if TYPE_CHECKING:
    import httpx

log = structlog.get_logger("sync.netschool")

PASSWORD_ENV = NETSCHOOL_PASSWORD_ENV


@dataclass(frozen=True)
class NetSchoolConfig:
    base_url: str
    deployment: str
    school_id: int
    login: str
    timezone: str
    profile_id: str = ""
    region: str = ""
    window: Incremental = field(default_factory=Incremental)
    school_name: str = ""
    """Looked up with ``schools/search`` when ``school_id`` is 0."""
    secrets_file: str | None = None
    client: ClientSettings = field(default_factory=ClientSettings)


def load_config(path: str | Path) -> NetSchoolConfig:
    """Read the source's TOML (``[netschool]`` table); says in Russian what is wrong and where."""
    section = read_section(path, "netschool")
    known = known_deployment(str(section.get("deployment", "")))
    base_url = section.get("url") or (known.base_url if known else None)
    if not base_url:
        raise SettingsError(
            f"в файле настроек {path} нет ни url, ни известного deployment "
            "(например, netschool.edu22.info)"
        )
    timezone = section.get("timezone") or (known.timezone if known else None)
    if not timezone:
        raise SettingsError(f"в файле настроек {path} не указан timezone для {base_url}")
    if "login" not in section:
        raise SettingsError(f"в файле настроек {path} не указан параметр login")
    if "school_id" not in section and "school" not in section:
        raise SettingsError(
            f"в файле настроек {path} не указана организация: school_id (число) или school (краткое имя)"
        )
    try:
        school_id = int(section.get("school_id", 0))
    except (TypeError, ValueError):
        raise SettingsError(f"в файле настроек {path}: school_id должен быть числом") from None
    client = ClientSettings(
        concurrency=int(section.get("concurrency", 4)),
        request_budget=int(section.get("request_budget", 200_000)),
        timeout=float(section.get("timeout", 30)),
        attempts=int(section.get("attempts", 5)),
        backoff_initial=float(section.get("backoff_initial", 0.2)),
        backoff_max=float(section.get("backoff_max", 10)),
    )
    return NetSchoolConfig(
        base_url=str(base_url),
        deployment=str(section.get("deployment") or base_url),
        school_id=school_id,
        school_name=str(section.get("school", "")),
        login=str(section["login"]),
        timezone=str(timezone),
        profile_id=str(section.get("profile", "")),
        region=str(section.get("region") or (known.region if known else "")),
        window=Incremental.from_settings(section, default_days=14, where=str(path)),
        secrets_file=section.get("secrets_file"),
        client=client,
    )


def snapshots_of(
    pull: InstitutionPull, source: Source, warnings: list[str] | None = None
) -> list[Snapshot]:
    """The pull as the store's scopes: one structure scope, one per class × week.

    Every value is checked on the way (``pipelines.screening``); what was kept out is
    reported in ``warnings``. A pull narrowed to some classes carries only their journal
    weeks: the structure and period-mark scopes it did not read completely are left as
    the last whole pull saw them.
    """
    problems = [] if warnings is None else warnings
    where = "NetSchool"
    snapshots: list[Snapshot] = []
    if pull.only_classes is None:
        snapshots.append(
            checked_snapshot(
                scopes.netschool_structure(source.deployment, pull.context.schoolId),
                map_structure(pull, source),
                STRUCTURE_KINDS,
                problems,
                where,
            )
        )
    finals = pull.totals if pull.only_classes is None else {}
    for class_id, totals in sorted(finals.items()):
        snapshots.append(
            checked_snapshot(
                scopes.netschool_finals(source.deployment, class_id),
                map_totals(totals, pull.terms, source),
                ("mark",),
                problems,
                where,
            )
        )
    for class_id, weeks in sorted(pull.journal.items()):
        for week, entries in sorted(weeks.items()):
            snapshots.append(
                checked_snapshot(
                    scopes.netschool_journal(source.deployment, class_id, week),
                    map_journal_entries(entries, pull.types, source),
                    JOURNAL_KINDS,
                    problems,
                    where,
                )
            )
    return snapshots


_CARD_RELATIONS = {relation: card for card, relation in RELATIONS.items()}
"""``ParentLink.relation`` → the card's ``relationshipType`` (``parent``: none given)."""


def stored_parent_cards(
    engine: Engine, deployment: str, scope: str
) -> dict[int, list[StudentParent]]:
    """The parents cards as the store last took them from the structure ``scope``: student →
    the card, rebuilt from the current parent links and the parents' names.

    A sync that does not re-read these cards hands them to the mapper as they were, so the
    structure comes out the same as from a fresh read.  Only students with at least one
    stored link whose parents are all stored are here: any other student (new, with no
    parents on the card, or whose parent the screening left out) is simply read again.
    """
    links = version_table("parent_link")
    people = version_table("person")

    def live(table: Any) -> Any:
        return and_(
            entity.c.id == table.c.entity_id,
            entity.c.scope == scope,
            entity.c.removed_run_id.is_(None),
            table.c.superseded_run_id.is_(None),
            table.c.deployment == deployment,
        )

    with engine.connect() as conn:
        rows = conn.execute(
            select(links.c.f_parent_id, links.c.f_child_id, links.c.f_relation)
            .select_from(links.join(entity, live(links)))
            .order_by(links.c.id)
        ).all()
        if not rows:
            return {}
        names = {
            str(ext): (last or "", first or "", middle or "")
            for ext, last, first, middle in conn.execute(
                select(
                    people.c.external_id,
                    people.c.f_last_name,
                    people.c.f_first_name,
                    people.c.f_middle_name,
                ).select_from(people.join(entity, live(people)))
            )
        }
    cards: dict[int, list[StudentParent]] = {}
    broken: set[str] = set()
    for parent_id, child_id, relation in rows:
        parent, child = str(parent_id), str(child_id)
        if parent not in names or not parent.isdigit() or not child.isdigit():
            broken.add(child)
            continue
        last, first, middle = names[parent]
        cards.setdefault(int(child), []).append(
            StudentParent(
                id=int(parent),
                lastName=last,
                firstName=first,
                middleName=middle,
                relationshipType=_CARD_RELATIONS.get(str(relation or "")),
            )
        )
    for child in broken:
        if child.isdigit():
            cards.pop(int(child), None)
    return cards


def sync_netschool(
    engine: Engine,
    config: NetSchoolConfig,
    password: str,
    *,
    full: bool = False,
    progress: PullProgress | None = None,
    job: str | None = None,
    only_classes: Collection[int] | None = None,
    request_gate: Callable[[httpx.Request], Awaitable[None]] | None = None,
) -> SyncOutcome:
    """Pull, map and ingest one school; a failure is recorded as a failed run with nothing ingested.

    ``only_classes`` (the plan's sync at some groups' deadline): just those classes'
    journals for the current week, which is all such a deadline needs; the other classes'
    scopes keep their last observation, so their §8 evidence is not claimed falsely.

    Students' parents cards (one request each, thousands in a school, rarely changed) are
    read on a ``full`` sync and for students the store has no card of; the others come from
    the store (:func:`stored_parent_cards`).
    """
    source = Source(config.deployment, config.timezone, config.profile_id, config.region)
    known = known_deployment(config.deployment)
    holder: dict[str, Any] = {}

    async def pull() -> None:
        # The pull goes out through ``holder``, not as the task's result: on leaving,
        # asyncio.run (3.11) restores the SIGINT handler, whose failed enum lookup reprs the
        # partial holding the main task and so its whole result (~30 ms per sync here).
        client = NetSchoolClient(
            config.base_url,
            config.login,
            password,
            config.school_id,
            deployment=known,
            settings=config.client,
            request_gate=request_gate,
        )
        holder["client"] = client
        async with client:
            if not config.school_id and config.school_name:
                client.auth.school_id = await client.find_school(config.school_name)
            if only_classes is not None and not full:
                # a narrowed pull reads no structure, so no parents cards either
                holder["pull"] = await pull_institution(
                    client,
                    timezone=config.timezone,
                    lookback_weeks=0,
                    ahead_weeks=0,
                    progress=progress,
                    only_classes=only_classes,
                )
                return
            structure = scopes.netschool_structure(config.deployment, client.auth.school_id)
            holder["pull"] = await pull_institution(
                client,
                timezone=config.timezone,
                lookback_weeks=config.window.widened(full).lookback_weeks,
                progress=progress,
                known_parents=stored_parent_cards(engine, config.deployment, structure),
                reread_parents=full,
            )

    scope = scopes.netschool_run(config.deployment, config.school_id)
    try:
        asyncio.run(pull())
    except NetSchoolError as exc:
        client = holder.get("client")
        observed = client.server_time if client is not None else None
        run_id = start_run(
            engine,
            "netschool",
            deployment=config.deployment,
            scope=scope,
            job=job,
            observed_at=observed,
        )
        finish_run(engine, run_id, RunStatus.FAILED, error=str(exc))
        requests = client.requests if client is not None else 0
        return SyncOutcome(
            run_id,
            RunStatus.FAILED,
            observed or dt.datetime.now(dt.UTC),
            requests=requests,
            error=str(exc),
            error_kind=type(exc).__name__,
        )
    pulled: InstitutionPull = holder["pull"]
    observed_at = pulled.server_time or dt.datetime.now(dt.UTC)
    warnings: list[str] = list(pulled.warnings)
    try:
        snapshots = snapshots_of(pulled, source, warnings)
    except (ValueError, ValidationError) as exc:
        # Data the canonical model refuses: record the failure, write nothing.
        message = f"данные сервера не удалось перевести в общую модель: {str(exc).splitlines()[0]}"
        run_id = start_run(
            engine,
            "netschool",
            deployment=config.deployment,
            scope=scope,
            job=job,
            observed_at=observed_at,
        )
        finish_run(engine, run_id, RunStatus.FAILED, error=message)
        return SyncOutcome(
            run_id,
            RunStatus.FAILED,
            observed_at,
            requests=pulled.requests,
            error=message,
            error_kind="model",
        )
    run_id = start_run(
        engine,
        "netschool",
        deployment=config.deployment,
        scope=scope,
        job=job,
        observed_at=observed_at,
    )
    try:
        guard = guarded_ingest(engine, run_id, snapshots)
    except Exception as exc:
        finish_run(
            engine, run_id, RunStatus.FAILED, error=f"запись в хранилище не выполнена: {exc}"
        )
        raise
    if guard.held:
        # Too much would change at once: the run waits for `sverka runs approve/discard`.
        return SyncOutcome(
            run_id,
            RunStatus.HELD,
            observed_at,
            requests=pulled.requests,
            held=guard.reasons,
            warnings=warnings,
        )
    assert guard.result is not None
    result = guard.result
    finish_run(
        engine,
        run_id,
        RunStatus.SUCCEEDED,
        counts={
            **result.as_dict(),
            "_requests": pulled.requests,
            **({"_warnings": pulled.warnings} if pulled.warnings else {}),
        },
    )
    for warning in warnings:
        log.warning("netschool.mapping", detail=warning)
    return SyncOutcome(
        run_id,
        RunStatus.SUCCEEDED,
        observed_at,
        counts=result,
        requests=pulled.requests,
        warnings=warnings,
    )


def sync_netschool_job(
    engine: Engine, params: Mapping[str, Any], now: dt.datetime
) -> Mapping[str, Any]:
    """The scheduler's entry point: ``params["config"]`` is the TOML file; a failed run raises.

    ``params["classes"]`` (NetSchool class ids, as the plan's sync at some groups'
    deadline names them: the stored group ids) narrows the pull to those classes' current
    week, as ``sverka schedule plan`` intends; without it the whole school is pulled.
    """
    config = load_config(str(params["config"]))
    password = require_secret(PASSWORD_ENV, config.secrets_file, "пароль NetSchool")
    outcome = sync_netschool(
        engine,
        config,
        password,
        full=bool(params.get("full")),
        job="sync",
        only_classes=class_ids(params.get("classes")),
    )
    if outcome.error:
        raise RuntimeError(outcome.error)
    return outcome.counts.as_dict()


def class_ids(raw: Any) -> list[int] | None:
    """The plan's classes as NetSchool class ids; ``None`` (the whole school) when absent.

    A list of ids or a comma-separated string (a plan's parameters are text in the TOML);
    anything that is not a class id is a Russian error naming it, before any request.
    """
    if raw is None or raw == "" or raw == []:
        return None
    items = [p.strip() for p in raw.split(",")] if isinstance(raw, str) else list(raw)
    out: list[int] = []
    for item in items:
        text = str(item).strip()
        if not text.isdigit():
            raise ValueError(
                f"параметр classes задания: «{text}» не номер класса NetSchool "
                "(нужны числа через запятую, например 101,102)"
            )
        out.append(int(text))
    return out
