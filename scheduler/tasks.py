"""The job functions the plans run (see ``scheduler.jobs.JOB_KINDS``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine


def noop(engine: Engine, params: Mapping[str, Any], now: dt.datetime) -> Mapping[str, Any]:
    """Changes nothing; lets an administrator (and the tests) see a plan fire.

    ``params["sleep"]`` seconds of work make overlap and shutdown observable;
    ``params["fail"]`` makes it fail, to see retries.
    """
    import time

    seconds = float(params.get("sleep", 0))
    if seconds:
        time.sleep(seconds)
    if params.get("fail"):
        raise RuntimeError("проверочное задание завершилось ошибкой по запросу")
    return {"slept": seconds}
