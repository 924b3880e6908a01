"""Hand-made store contents: canonical records ingested by runs at chosen moments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from canonical.base import Platform, Record, SourceRef
from canonical.registry import record_type
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run

DEPLOYMENT = "test.local"


def rec(kind: str, external_id: str, **fields: Any) -> Record:
    return record_type(kind).model_validate(
        {
            **fields,
            "source": SourceRef(
                platform=Platform.NETSCHOOL, deployment=DEPLOYMENT, external_id=external_id
            ),
        }
    )


def sync(
    engine: Engine,
    at: dt.datetime,
    scopes: Mapping[str, Sequence[Record]],
    kinds: Sequence[str] = (),
) -> int:
    """One run observed at ``at`` covering each scope with exactly the given records."""
    run_id = start_run(engine, "netschool", deployment=DEPLOYMENT, observed_at=at)
    ingest(
        engine, run_id, [Snapshot.of(scope, recs, kinds=kinds) for scope, recs in scopes.items()]
    )
    finish_run(engine, run_id, RunStatus.SUCCEEDED)
    return run_id
