"""The long-running scheduler process (``sverka scheduler run``).

It stops cleanly on SIGTERM or SIGINT: no new firing starts, and the one under
way finishes (its run is recorded) before the process exits.  A firing that
was missed while no scheduler ran is coalesced into one run when it starts
again, within the misfire grace time.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog
from sqlalchemy import Engine

from local_store.runs import mark_interrupted
from scheduler.plans import make_scheduler
from scheduler.runner import bind_scheduler

log = structlog.get_logger(__name__)


def run_forever(engine: Engine, *, stop: threading.Event | None = None) -> None:
    """Run planned jobs until SIGTERM/SIGINT (or ``stop`` is set)."""
    stop = stop or threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested", signal=signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    interrupted = mark_interrupted(engine)
    if interrupted:
        log.warning("runs left running by a dead process marked interrupted", runs=interrupted)
    scheduler = make_scheduler(engine)
    bind_scheduler(scheduler)
    scheduler.start()
    log.info("scheduler started", jobs=len(scheduler.get_jobs()))
    try:
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
        bind_scheduler(None)
        log.info("scheduler stopped")
