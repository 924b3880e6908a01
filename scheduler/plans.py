"""Plans: which job runs when, stored in APScheduler's job store in the store's database.

A plan is a job kind, its parameters and a trigger written the way an
administrator says it: ``cron:0 21 * * *`` (every evening at 21:00) or
``interval:300`` (every five minutes), in the institution's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from scheduler.jobs import job_kind
from scheduler.runner import FiringExecutor, execute

MISFIRE_GRACE_SECONDS = 3600
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS}


class PlanError(ValueError):
    """A plan the administrator wrote wrongly; the message says what, in Russian."""


CRON_FIELDS = (
    "минуты (0–59), часы (0–23), день месяца (1–31), месяц (1–12), день недели (0–6 или mon–sun)"
)


class StoppingScheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler's loop runs one more round of due jobs after ``shutdown`` wakes it; that
    round submits to an executor already shut down (``cannot schedule new futures after
    shutdown``).  A stopped scheduler processes nothing."""

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        result: float | None = super()._process_jobs()
        return result


class ThreadlessScheduler(BaseScheduler):  # type: ignore[misc]
    """Reads and writes plans without a loop: there is no thread to wake, so nothing can
    fire while the CLI lists, pauses or edits plans."""

    def wakeup(self) -> None:
        return None

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


def _cron(text: str, zone: ZoneInfo) -> BaseTrigger:
    fields = text.split()
    if len(fields) != 5:
        raise PlanError(
            f"расписание cron «{text}» записано неверно: нужно пять полей через пробел — "
            f"{CRON_FIELDS}, а указано {len(fields)}"
        )
    try:
        return CronTrigger.from_crontab(text, timezone=zone)
    except ValueError:
        raise PlanError(
            f"расписание cron «{text}» записано неверно: в каком-то поле недопустимое значение; "
            f"поля по порядку — {CRON_FIELDS}"
        ) from None


def parse_trigger(spec: str, timezone: str) -> BaseTrigger:
    """``cron:<five fields>`` or ``interval:<seconds>`` → an APScheduler trigger."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanError(f"неизвестный часовой пояс «{timezone}»") from None
    kind, _, rest = spec.partition(":")
    if kind == "cron":
        return _cron(rest.strip(), zone)
    if kind == "interval":
        try:
            seconds = int(rest)
        except ValueError:
            raise PlanError(f"интервал «{rest}» должен быть целым числом секунд") from None
        if seconds < 1:
            raise PlanError("интервал должен быть не меньше одной секунды")
        return IntervalTrigger(seconds=seconds, timezone=zone)
    raise PlanError(f"расписание «{spec}» должно начинаться с cron: или interval:")


def make_scheduler(
    engine: Engine, *, scheduler_class: type[BaseScheduler] = StoppingScheduler
) -> BaseScheduler:
    return scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={"default": FiringExecutor(max_workers=2)},
        job_defaults=JOB_DEFAULTS,
        timezone=dt.UTC,
    )


@contextmanager
def paused_scheduler(engine: Engine) -> Iterator[BaseScheduler]:
    """A scheduler that reads and writes plans but runs nothing (for the CLI)."""
    scheduler = make_scheduler(engine, scheduler_class=ThreadlessScheduler)
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


@dataclass(frozen=True)
class PlanInfo:
    id: str
    kind: str
    params: Mapping[str, Any]
    trigger: str
    next_run: dt.datetime | None
    paused: bool


def add_plan(
    engine: Engine,
    plan_id: str,
    kind: str,
    trigger: str,
    *,
    timezone: str = "UTC",
    params: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> PlanInfo:
    try:
        checked = job_kind(kind).validate(params or {})
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    parsed = parse_trigger(trigger, timezone)
    with paused_scheduler(engine) as scheduler:
        if not replace and scheduler.get_job(plan_id) is not None:
            raise PlanError(f"план «{plan_id}» уже есть; удалите его или укажите --replace")
        job = scheduler.add_job(
            execute,
            trigger=parsed,
            id=plan_id,
            name=trigger,
            replace_existing=replace,
            kwargs={
                "job_id": plan_id,
                "kind": kind,
                "params": checked,
                "db_url": engine.url.render_as_string(hide_password=False),
            },
        )
        return _info(job)


def list_plans(engine: Engine) -> list[PlanInfo]:
    with paused_scheduler(engine) as scheduler:
        return sorted((_info(job) for job in scheduler.get_jobs()), key=lambda p: p.id)


def _require(scheduler: BaseScheduler, plan_id: str) -> None:
    if scheduler.get_job(plan_id) is None:
        raise PlanError(f"плана «{plan_id}» нет")


def pause_plan(engine: Engine, plan_id: str) -> None:
    with paused_scheduler(engine) as scheduler:
        _require(scheduler, plan_id)
        scheduler.pause_job(plan_id)


def resume_plan(engine: Engine, plan_id: str) -> None:
    with paused_scheduler(engine) as scheduler:
        _require(scheduler, plan_id)
        scheduler.resume_job(plan_id)


def remove_plan(engine: Engine, plan_id: str) -> None:
    with paused_scheduler(engine) as scheduler:
        _require(scheduler, plan_id)
        scheduler.remove_job(plan_id)


def _info(job: Any) -> PlanInfo:
    return PlanInfo(
        id=job.id,
        kind=job.kwargs.get("kind", ""),
        params=job.kwargs.get("params", {}),
        trigger=job.name,
        next_run=job.next_run_time,
        paused=job.next_run_time is None,
    )
