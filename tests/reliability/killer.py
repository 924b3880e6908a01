"""Run the store's first migration and kill -9 this very process at the Nth DDL statement.

``python -m tests.reliability.killer URL N``: a real process dying mid-migration,
deterministically, so a test can look at what it leaves behind.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from sqlalchemy import event

from local_store.engine import make_engine, migrate


def main(url: str, kill_at: int) -> None:
    engine = make_engine(url)
    seen = 0

    @event.listens_for(engine, "after_cursor_execute")
    def _maybe_die(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal seen
        if statement.lstrip().upper().startswith(("CREATE", "ALTER", "DROP")):
            seen += 1
            if seen >= kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    migrate(engine)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
