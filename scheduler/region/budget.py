"""Per-host session budgets shared by every worker through the database.

Procrastinate's ``lock`` lets one job at a time hold a key; a host may take
``N`` sessions at once.  A session slot is a PostgreSQL advisory lock
``(hashtext('host:<host>'), slot)`` for ``slot`` in ``0..N-1``, held on a
connection of its own for as long as the sync runs.  The server releases it
when that connection ends, so a worker killed mid-sync frees its slot at once
and no slot is ever leaked (anchors-region-web-ews.md §1.2 "gaps to fill").

The slot's connection is named (``application_name``) after its holder, so
``pg_stat_activity`` joined to ``pg_locks`` shows the operator which worker
process syncs which institution on which host right now.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy import Engine, text

POLL_SECONDS = 0.2


class BudgetBusy(RuntimeError):
    """No session slot of the host came free within the wait; the job is retried later."""


def host_key(url: str) -> str:
    """The budget's key for a platform URL: its host, with the port when it is not the default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default:
        return f"{host}:{parts.port}"
    return host


@contextmanager
def host_slot(
    engine: Engine,
    host: str,
    max_sessions: int,
    *,
    wait_seconds: float = 600.0,
    holder: str = "",
) -> Iterator[int]:
    """Hold one of ``host``'s ``max_sessions`` slots while the block runs; yields the slot number.

    ``holder`` names the slot's connection in ``pg_stat_activity`` (at most 63 bytes kept).

    Raises :class:`BudgetBusy` when none came free within ``wait_seconds``.
    """
    deadline = time.monotonic() + wait_seconds
    key = f"host:{host}"
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")
        if holder:
            conn.execute(
                text("SELECT set_config('application_name', :name, false)"), {"name": holder[:63]}
            )
        slot = -1
        while slot < 0:
            for candidate in range(max_sessions):
                taken = conn.execute(
                    text("SELECT pg_try_advisory_lock(hashtext(:key), :slot)"),
                    {"key": key, "slot": candidate},
                ).scalar()
                if taken:
                    slot = candidate
                    break
            else:
                if time.monotonic() > deadline:
                    raise BudgetBusy(
                        f"узел {host}: все {max_sessions} сеанса(ов) заняты дольше "
                        f"{wait_seconds:.0f} с; синхронизация будет повторена позже"
                    )
                time.sleep(POLL_SECONDS)
        try:
            yield slot
        finally:
            conn.execute(
                text("SELECT pg_advisory_unlock(hashtext(:key), :slot)"),
                {"key": key, "slot": slot},
            )
