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


def sync_source(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """Pull one journal platform; ``params``: ``source`` (netschool | poo | eljur) and ``config`` (TOML)."""
    source = str(params.get("source", ""))
    if source == "poo":
        from pipelines.poo import sync_poo_job

        return sync_poo_job(engine, params, now)
    if source == "netschool":
        from pipelines.netschool import sync_netschool_job

        return sync_netschool_job(engine, params, now)
    if source == "eljur":
        from pipelines.eljur import sync_eljur_job

        return sync_eljur_job(engine, params, now)
    if source in ("contingent", "e_uslugi"):
        return _smev_job(engine, source, params)
    raise ValueError(
        f"неизвестный источник «{source}»: netschool, poo, eljur, contingent или e_uslugi"
    )


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
    import dataclasses
    import os

    from pipelines.smev3.common import Smev3Options
    from pipelines.smev3.contingent import push_contingent, sync_contingent
    from pipelines.smev3.epgu import poll_epgu as poll
    from pipelines.smev3.epgu import sync_e_uslugi

    if params.get("config"):  # written by ``sverka source add smev3``
        from pipelines.source_setup_smev3 import load_smev3

        options = load_smev3(
            str(params["config"]), url=params.get("url"), org_code=params.get("org_code")
        )
    else:
        options = Smev3Options.from_env(url=params.get("url"), org_code=params.get("org_code"))
    profile = params.get("profile") or os.environ.get("SVERKA_PROFILE") or options.profile
    options = dataclasses.replace(options, profile=str(profile) if profile else None)
    if what == "push":
        push = asyncio.run(push_contingent(engine, options))
        delivered = push.delivery.delivered if push.delivery else 0
        return {"delivered": delivered, "failed": len(push.delivery.failed) if push.delivery else 0}
    if what == "epgu":
        report = asyncio.run(poll(engine, options))
        return {
            "received": report.received,
            "answered": report.provided,
            "refused": report.refused,
            "found_again": report.found_again,
        }
    if what == "contingent":
        summary = asyncio.run(sync_contingent(engine, options))
        return {"students": summary.students}
    notices = asyncio.run(sync_e_uslugi(engine, options))
    return {"received": notices.received, "found_again": notices.found_again}


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
