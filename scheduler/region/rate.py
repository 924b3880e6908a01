"""Per-host requests-per-second budgets shared by every worker through the database.

A host's rate is a row of ``host_budget``: ``requests_per_second`` and
``next_request_at``, the next free moment by the database's clock (a GCRA
"theoretical arrival time" with a burst of one).  Each request reserves a
moment with one atomic ``UPDATE … RETURNING``: it gets ``max(next, now)`` and
pushes ``next`` on by ``1 / rate``; the caller sleeps until its moment.  So the
host's requests leave spaced at least ``1 / rate`` apart, whichever processes
send them: any second (half-open, ``[t, t + 1)``) holds at most ``rate`` of
them.  The row's lock is held for that one statement only, and a reservation is
just a moment in time: a worker killed while it waits or sends leaves an unused
moment behind, never a held lock, so the budget heals by itself.

The clock is the database's (``clock_timestamp()``), the one clock all workers
share; a worker only ever sleeps the difference it was told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine, text

_RESERVE = text(
    """
    WITH now AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t)
    UPDATE host_budget
       SET next_request_at = GREATEST(COALESCE(next_request_at, 0), now.t)
                             + 1.0 / requests_per_second
      FROM now
     WHERE host = :host AND requests_per_second > 0
    RETURNING next_request_at - 1.0 / requests_per_second - now.t
    """
)


def reserve(engine: Engine, host: str) -> float:
    """Reserve the host's next request moment; returns how many seconds to wait for it (0: none).

    A host without a rate budget is not limited.
    """
    with engine.begin() as conn:
        wait = conn.execute(_RESERVE, {"host": host}).scalar()
    return max(0.0, float(wait)) if wait is not None else 0.0


def request_gate(engine: Engine, host: str) -> Callable[[object], Awaitable[None]]:
    """An async hook for every request to ``host``: it returns once the request may leave.

    The connector installs it as an httpx request hook, so logins, retries and logouts
    are paced like every other request.
    """

    async def gate(_request: object) -> None:
        wait = await asyncio.to_thread(reserve, engine, host)
        if wait > 0:
            await asyncio.sleep(wait)

    return gate
