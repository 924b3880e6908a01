"""The job functions the plans run (see ``scheduler.jobs.JOB_KINDS``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine


def noop(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """Changes nothing; lets an administrator (and the tests) see a plan fire.

    ``params["sleep"]`` seconds of work make overlap and shutdown observable;
    ``params["fail"]`` makes it fail, to see retries.
    """
    import time

    seconds = float(params.get("sleep", 0))
    if seconds:
        time.sleep(seconds)
    if params.get("fail"):
        raise RuntimeError("проверочное задание завершилось ошибкой по запросу")
    return {"slept": seconds}


def import_local_file(
    engine: Engine,
    path: str | Path,
    kind: str,
    *,
    deployment: str = "local",
    observed_at: dt.datetime | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import one of the institution's own tables as a complete snapshot of ``kind``.

    Nothing is written when the file itself is unreadable (raises
    ``FileReadError`` or ``LocalTableError``).  Rows whose values cannot be
    read are reported and left out, and what the store knew of them is kept.
    The change goes through the same mass-change hold as a journal's pull: a
    file that would remove or change too much waits for ``sverka runs approve``.
    ``dry_run`` plans the change and returns it (``_changes``) without writing.
    """
    from connectors.local_files.reader import read_table
    from local_store.history import records_as_of
    from local_store.hold import guarded_ingest, preview
    from local_store.ingest import Snapshot
    from local_store.runs import RunStatus, finish_run, start_run
    from mapping.local_files import map_rows

    table = read_table(path)
    mapped = map_rows(
        kind,
        ((r.line, r.values) for r in table.rows),
        deployment=deployment,
        where=str(path),
        header=table.header,
    )
    records = list(mapped.records)
    if mapped.skipped_ids:
        # A row we could not read is not a row the institution deleted.
        records += [
            r
            for r in records_as_of(engine, kind)
            if r.source.deployment == deployment and r.source.external_id in mapped.skipped_ids
        ]
    snapshot = Snapshot(f"local:{deployment}:{kind}", frozenset({kind}), records)
    if dry_run:
        planned = preview(engine, "local", snapshot)
        return {
            **planned.summary,
            "_problems": mapped.problems,
            "_held": planned.reasons,
            "_changes": planned.changes,
        }
    run_id = start_run(
        engine, "local", deployment=deployment, scope=f"file:{kind}", observed_at=observed_at
    )
    try:
        guard = guarded_ingest(engine, run_id, snapshot)
    except Exception as exc:
        finish_run(engine, run_id, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    if guard.held:
        return {
            **guard.summary,
            "_problems": mapped.problems,
            "_held": guard.reasons,
            "_run": run_id,
        }
    assert guard.result is not None
    counts: dict[str, Any] = {**guard.result.as_dict(), "_problems": mapped.problems}
    finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=counts)
    return {**counts, "_held": [], "_run": run_id}


def sync_source(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """Pull one journal platform; ``params``: ``source`` (netschool | poo) and ``config`` (TOML)."""
    source = str(params.get("source", ""))
    if source == "poo":
        from cli.sync_poo import sync_poo_job

        return sync_poo_job(engine, params, now)
    if source == "netschool":
        from cli.context import read_secret
        from cli.sync_netschool import PASSWORD_ENV, load_config, sync_netschool

        config = load_config(str(params["config"]))
        password = read_secret(PASSWORD_ENV, config.secrets_file)
        if not password:
            raise RuntimeError(
                f"пароль NetSchool не задан: переменная {PASSWORD_ENV} или файл секретов"
            )
        outcome = sync_netschool(
            engine, config, password, full=bool(params.get("full")), job="sync"
        )
        if outcome.error:
            raise RuntimeError(outcome.error)
        return outcome.counts.as_dict() if outcome.counts else {}
    if source in ("contingent", "e_uslugi"):
        return _smev_job(engine, source, params)
    raise ValueError(f"неизвестный источник «{source}»: netschool, poo, contingent или e_uslugi")


def run_check(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """Evaluate the profile's rules over what changed (``full`` re-checks everything)."""
    from policies.engine import run_check as evaluate
    from policies.profiles import load_profile

    profile = load_profile(str(params["profile"]), params.get("config"))
    report = evaluate(engine, profile, full=bool(params.get("full")))
    return {"check": report.check_id, **report.totals()}


def deliver_outbox(
    engine: Engine, params: Mapping[str, Any], now: dt.datetime
) -> Mapping[str, Any]:
    """Push the journal's movement orders to the contingent registry through the outbox."""
    return _smev_job(engine, "push", params)


def poll_epgu(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """Take ЕПГУ applications, decide and answer them."""
    return _smev_job(engine, "epgu", params)


def _smev_job(engine: Engine, what: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    import asyncio

    from scheduler.smev3.common import Smev3Options
    from scheduler.smev3.contingent import push_contingent, sync_contingent
    from scheduler.smev3.epgu import poll_epgu as poll
    from scheduler.smev3.epgu import sync_e_uslugi

    options = Smev3Options.from_env(url=params.get("url"), org_code=params.get("org_code"))
    if what == "push":
        push = asyncio.run(push_contingent(engine, options))
        delivered = push.delivery.delivered if push.delivery else 0
        return {"delivered": delivered, "failed": len(push.delivery.failed) if push.delivery else 0}
    if what == "epgu":
        report = asyncio.run(poll(engine, options))
        return {"received": report.received, "answered": report.provided, "refused": report.refused}
    if what == "contingent":
        summary = asyncio.run(sync_contingent(engine, options))
        return {"students": summary.students}
    notices = asyncio.run(sync_e_uslugi(engine, options))
    return {"received": notices.received}


def reconcile(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """Compare the journal with the registry, «Е-услуги» and ЕПГУ into discrepancies."""
    from local_store.reconcile import reconcile as run

    result = run(engine, at=now)
    return {str(k): int(v) for k, v in result.by_rule().items()}


def weekly_report(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """The deputy's report into ``params["out"]`` (HTML, PDF, XLSX)."""
    from reports.deputy import deputy_report_from_store, write_deputy_report

    out = Path(str(params.get("out", "otchety"))) / now.strftime("%Y-%m-%d")
    files = write_deputy_report(deputy_report_from_store(engine, now=now), out)
    return {"files": len(files)}


def export_contingent(
    engine: Engine, params: Mapping[str, Any], now: dt.datetime
) -> Mapping[str, Any]:
    """The contingent export for the regional operator into ``params["out"]``."""
    from reports.contingent_export import export_contingent as export
    from reports.data import pick_source

    source = pick_source(engine, params.get("source"))
    out = Path(str(params.get("out", "vygruzka"))) / now.strftime("%Y-%m-%d")
    since = params.get("since_run")
    result = export(
        engine,
        source,
        out,
        fmt=str(params.get("format", "xml")),
        since_run=int(since) if since else None,
        now=now,
    )
    return {"records": len(getattr(result, "records", []) or [])}
