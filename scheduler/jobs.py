"""The kinds of job a plan can run, as data: kind → the function that does it.

Each function takes the store's engine, the plan's parameters and the moment
of the run, and returns counts for the run history.  They are the same
functions the CLI commands call; the table names them by import path so that
an area's code is imported only when its job runs.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

JobFunction = Callable[["Engine", Mapping[str, Any], dt.datetime], Mapping[str, Any]]


@dataclass(frozen=True)
class JobKind:
    kind: str
    title: str
    """Russian, as the administrator sees it in ``sverka schedule list``."""
    target: str
    """``module:function`` of a :data:`JobFunction`."""

    def function(self) -> JobFunction:
        module_name, _, attr = self.target.partition(":")
        function: JobFunction = getattr(importlib.import_module(module_name), attr)
        return function


JOB_KINDS: dict[str, JobKind] = {
    kind.kind: kind
    for kind in (
        JobKind("sync", "Загрузка данных из источника", "scheduler.tasks:sync_source"),
        JobKind("check", "Проверка по положению об ЭЖ", "scheduler.tasks:run_check"),
        JobKind("outbox", "Отправка в реестр контингента", "scheduler.tasks:deliver_outbox"),
        JobKind("epgu", "Опрос заявлений ЕПГУ", "scheduler.tasks:poll_epgu"),
        JobKind("reconcile", "Сверка источников", "scheduler.tasks:reconcile"),
        JobKind(
            "report", "Еженедельный отчёт заместителю директора", "scheduler.tasks:weekly_report"
        ),
        JobKind("export", "Выгрузка контингента", "scheduler.tasks:export_contingent"),
        JobKind("noop", "Проверочное задание (ничего не меняет)", "scheduler.tasks:noop"),
    )
}


def job_kind(kind: str) -> JobKind:
    try:
        return JOB_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(JOB_KINDS))
        raise ValueError(f"неизвестный вид задания «{kind}»; известные: {known}") from None
