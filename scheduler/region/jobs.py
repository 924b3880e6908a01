"""One institution's sync, as a worker runs it: its store, a host slot, its pipeline.

Nothing here pulls or writes observations itself: the pipeline of the
institution's source does, exactly as ``sverka sync`` does for one institution.
The run it records carries ``job = "procrastinate:<job id>"``, which joins the
job history to ``sync_run``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy import Engine

from local_store.region import (
    Institution,
    budget_of,
    get_institution,
    open_institution_store,
    region_engine,
)
from local_store.runs import RunStatus, mark_interrupted
from pipelines.outcome import SyncOutcome
from scheduler.region.budget import host_slot
from scheduler.region.errors import SyncFailed
from scheduler.region.rate import request_gate

log = structlog.get_logger(__name__)


def job_ref(job_id: int | None) -> str:
    return f"procrastinate:{job_id}" if job_id is not None else "procrastinate"


def run_pipeline(
    store: Any, inst: Institution, job: str, region: Engine | None = None
) -> SyncOutcome:
    """The institution's source pipeline, with the settings file and secrets it names.

    With ``region``, every request to the host waits for the host's shared rate budget.
    """
    if inst.source == "netschool":
        from pipelines.netschool import PASSWORD_ENV, load_config, sync_netschool
        from pipelines.settings import require_secret

        config = load_config(inst.config)
        password = require_secret(PASSWORD_ENV, config.secrets_file, "пароль NetSchool")
        gate = request_gate(region, inst.host) if region is not None else None
        return sync_netschool(store, config, password, job=job, request_gate=gate)
    raise SyncFailed(
        f"источник «{inst.source}» пока не поддерживается в регионе", "UnsupportedVersion"
    )


def slot_holder(job_id: int | None, institution_id: str) -> str:
    """The name a sync's host slot connection carries: ``sverka-sync pid=… job=… <institution>``."""
    return f"sverka-sync pid={os.getpid()} job={job_id} {institution_id}"


def sync_institution(region_url: str, institution_id: str, job_id: int | None) -> Mapping[str, Any]:
    """Run one institution's pipeline inside one of its host's session slots."""
    region = region_engine(region_url)
    try:
        inst = get_institution(region, institution_id)
        store = open_institution_store(region_url, inst.store_schema)
        try:
            mark_interrupted(store)
            with host_slot(
                region,
                inst.host,
                budget_of(region, inst.host),
                holder=slot_holder(job_id, inst.id),
            ) as slot:
                log.info("region sync", institution=inst.id, host=inst.host, slot=slot)
                outcome = run_pipeline(store, inst, job_ref(job_id), region)
        finally:
            store.dispose()
    finally:
        region.dispose()
    if outcome.status == RunStatus.FAILED:
        # The error table (scheduler.region.errors) decides: retry later, or fail for a person.
        raise SyncFailed(outcome.error or "синхронизация завершилась ошибкой", outcome.error_kind)
    return {"run": outcome.run_id, "status": outcome.status.value, "requests": outcome.requests}
