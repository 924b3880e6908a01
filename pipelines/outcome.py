"""What one sync run reports back, the same for every pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from local_store.ingest import IngestResult
from local_store.runs import RunStatus


@dataclass
class SyncOutcome:
    run_id: int
    status: RunStatus
    observed_at: dt.datetime
    """The moment the data shows (the server's clock, or the run's ``as_of``)."""
    counts: IngestResult = field(default_factory=IngestResult)
    """What the store took in; empty when the run failed or was held."""
    requests: int = 0
    retries: int = 0
    relogins: int = 0
    records: int = 0
    error: str | None = None
    """Why the run failed (Russian), when it did."""
    error_kind: str | None = None
    """Which kind of failure (the connector error's class name, or ``model``): a region's
    worker looks it up in its error table to retry, fail or hold the job."""
    warnings: list[str] = field(default_factory=list)
    """What the mapping could not read and left out (Russian)."""
    held: list[str] = field(default_factory=list)
    """Why the mass-change hold staged the run (Russian), when it did."""
