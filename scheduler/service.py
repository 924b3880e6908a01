"""The long-running scheduler process (``sverka scheduler run``).

It stops cleanly on SIGTERM or SIGINT: no new firing starts, and the one under
way finishes (its run is recorded) before the process exits.  A firing that
was missed while no scheduler ran is coalesced into one run when it starts
again, within the misfire grace time.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

import structlog
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import Engine

from canonical.wording import ru_moment
from local_store.runs import mark_interrupted
from scheduler.plans import make_scheduler
from scheduler.runner import bind_scheduler

log = structlog.get_logger(__name__)


def firing_line(event: JobExecutionEvent, timezone: str = "UTC") -> str:
    """One Russian line per firing for the console: when, which plan, how it ended."""
    when = ru_moment(event.scheduled_run_time, timezone)
    if event.exception is not None:
        return f"{when} план «{event.job_id}»: ошибка, подробности — sverka runs --failed"
    return f"{when} сработал план «{event.job_id}»; итог — в sverka runs"


def run_forever(
    engine: Engine,
    *,
    stop: threading.Event | None = None,
    notify: Callable[[str], None] | None = None,
    timezone: str = "UTC",
) -> None:
    """Run planned jobs until SIGTERM/SIGINT (or ``stop`` is set); ``notify`` gets one Russian
    line per firing."""
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
    if notify is not None:
        scheduler.add_listener(
            lambda event: notify(firing_line(event, timezone)), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
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
