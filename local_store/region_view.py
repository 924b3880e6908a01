"""The operator's region view: per institution, its last sync, failures since and held runs.

Read from each institution's own ``sync_run``; one small query per institution,
which is what an operator's table of a few hundred rows needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from local_store.region import Institution, list_institutions, schema_engine
from local_store.runs import RunStatus
from local_store.schema import sync_run

SYNC_SOURCES = ("netschool", "poo", "eljur")


@dataclass(frozen=True)
class InstitutionState:
    institution: Institution
    last_status: RunStatus | None
    last_finished: dt.datetime | None
    last_observed: dt.datetime | None
    last_success: dt.datetime | None
    failures_since_success: int
    held: int
    runs: int


def institution_state(store: Engine, inst: Institution) -> InstitutionState:
    syncs = sync_run.c.source.in_(SYNC_SOURCES)
    with store.connect() as conn:
        last = conn.execute(
            select(sync_run.c.status, sync_run.c.finished_at, sync_run.c.observed_at)
            .where(syncs)
            .order_by(sync_run.c.id.desc())
            .limit(1)
        ).first()
        success = conn.execute(
            select(func.max(sync_run.c.id), func.max(sync_run.c.observed_at)).where(
                syncs, sync_run.c.status == RunStatus.SUCCEEDED.value
            )
        ).first()
        last_ok_id = success[0] if success is not None else None
        failures = conn.execute(
            select(func.count()).where(
                syncs,
                sync_run.c.status.in_([RunStatus.FAILED.value, RunStatus.INTERRUPTED.value]),
                sync_run.c.id > (last_ok_id or 0),
            )
        ).scalar_one()
        held = conn.execute(
            select(func.count()).where(syncs, sync_run.c.status == RunStatus.HELD.value)
        ).scalar_one()
        runs = conn.execute(select(func.count()).where(syncs)).scalar_one()
    return InstitutionState(
        institution=inst,
        last_status=RunStatus(last.status) if last is not None else None,
        last_finished=last.finished_at if last is not None else None,
        last_observed=last.observed_at if last is not None else None,
        last_success=success[1] if success is not None else None,
        failures_since_success=int(failures),
        held=int(held),
        runs=int(runs),
    )


def region_overview(url: str, region: Engine) -> list[InstitutionState]:
    """Every registered institution's state, failing and held ones first (the operator's order)."""
    states: list[InstitutionState] = []
    for inst in list_institutions(region):
        store = schema_engine(url, inst.store_schema)
        try:
            states.append(institution_state(store, inst))
        finally:
            store.dispose()
    return sorted(states, key=_order)


def _order(state: InstitutionState) -> tuple[int, str]:
    if state.held:
        rank = 1
    elif state.failures_since_success or state.last_status is None:
        rank = 0
    else:
        rank = 2
    return rank, state.institution.id
