"""What a worker does with a sync that did not succeed: one table, looked up by the error's kind.

The connector already retries single requests by its own table
(:data:`connectors.netschool.errors.ERROR_TABLE`); what reaches the job is a
pull that gave up.  Here, as in Airbyte's error handlers, each kind of failure
maps to one decision:

- **retry** — the host or the store was down for a while: the job is deferred
  again after a wait that doubles with each attempt, at most :data:`MAX_RUNS`
  runs in all;
- **fail** — a person must act (a password, a platform version the connector
  does not know, data the model refuses): retrying would only knock on the host
  again, so the job fails at once and the operator's view shows it;
- **hold** — the run is staged by the mass-change guard and waits for a
  person's approval (``sverka runs approve``): the job ends without a retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from procrastinate import RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

MAX_RUNS = 3
"""A job runs at most this many times (the first run and two retries)."""


class Decision(StrEnum):
    RETRY = "retry"
    FAIL = "fail"
    HOLD = "hold"


@dataclass(frozen=True)
class JobRule:
    decision: Decision
    wait_seconds: int = 0
    """The wait before the first retry; each later one waits twice the previous."""


MODEL_REFUSED = "model"
"""The kind of a run whose data the canonical model refused."""

JOB_ERRORS: Mapping[str, JobRule] = {
    # The connector's final errors (connectors.netschool.errors), by class name.
    "Unreachable": JobRule(Decision.RETRY, 60),
    "ServerHangs": JobRule(Decision.RETRY, 60),
    "ProtocolFailure": JobRule(Decision.RETRY, 60),
    "BudgetExceeded": JobRule(Decision.RETRY, 600),
    "AuthFailed": JobRule(Decision.FAIL),
    "UnsupportedVersion": JobRule(Decision.FAIL),
    MODEL_REFUSED: JobRule(Decision.FAIL),
    # No session slot of the host came free in time (scheduler.region.budget.BudgetBusy).
    "BudgetBusy": JobRule(Decision.RETRY, 5),
    # A held run is no error: its job ends (returns) and the run waits for a person.
    "held": JobRule(Decision.HOLD),
}
UNKNOWN = JobRule(Decision.RETRY, 60)
"""A failure nobody classified yet is taken for a passing one, within the run limit."""


class SyncFailed(RuntimeError):
    """A sync that did not succeed; ``kind`` is its row in :data:`JOB_ERRORS`."""

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind or ""


def kind_of(exception: BaseException) -> str:
    if isinstance(exception, SyncFailed):
        return exception.kind
    return type(exception).__name__


def rule_of(exception: BaseException) -> JobRule:
    return JOB_ERRORS.get(kind_of(exception), UNKNOWN)


def retry_in(rule: JobRule, attempts: int) -> float | None:
    """Seconds until the next run after ``attempts`` earlier runs; ``None``: no next run."""
    if rule.decision != Decision.RETRY or attempts + 1 >= MAX_RUNS:
        return None
    return float(rule.wait_seconds * 2**attempts)


class ErrorTableRetry(BaseRetryStrategy):
    """Procrastinate's retry strategy reading :data:`JOB_ERRORS`."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        seconds = retry_in(rule_of(exception), job.attempts)
        if seconds is None:
            return None
        return RetryDecision(retry_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds))
