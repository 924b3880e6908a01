"""The benchmarks' one clock: wall time, or the process's CPU time on a loaded machine.

Several sessions may share the machine; wall times then measure the queue as much as
the code.  CPU time of this process is steadier, but it leaves out a database server's
own work, so it fits SQLite (in-process) figures only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_clock: Callable[[], float] = time.perf_counter


def now() -> float:
    """Seconds on the chosen clock (only differences mean anything)."""
    return _clock()


def use_cpu_time() -> None:
    """Measure this process's CPU seconds instead of wall seconds from now on."""
    global _clock
    _clock = time.process_time
