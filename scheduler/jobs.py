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
class JobParam:
    """One ``--param name=value`` a job kind takes."""

    name: str
    help: str
    """Russian: what the value is."""
    required: bool = False
    choices: tuple[str, ...] = ()
    file: bool = False
    """The value is a path to a file that must exist (a settings TOML)."""
    number: bool = False
    required_when: tuple[str, tuple[str, ...]] | None = None
    """Required when another parameter has one of these values (``config`` of a journal sync)."""


YES_NO = ("да", "нет", "yes", "no", "true", "false", "1", "0")


@dataclass(frozen=True)
class JobKind:
    kind: str
    title: str
    """Russian, as the administrator sees it in ``sverka schedule list``."""
    target: str
    """``module:function`` of a :data:`JobFunction`."""
    params: tuple[JobParam, ...] = ()

    def describe(self) -> str:
        """«sync — Загрузка данных …: source (обязательно) — …; config — …»."""
        parts = []
        for p in self.params:
            need = " (обязательно)" if p.required else ""
            if p.required_when:
                other, values = p.required_when
                need = f" (обязательно при {other}={' или '.join(values)})"
            choices = f": {', '.join(p.choices)}" if p.choices else ""
            if p.choices == YES_NO:
                choices = ": да или нет"
            parts.append(f"{p.name}{need} — {p.help}{choices}")
        return f"{self.kind} — {self.title}" + (": " + "; ".join(parts) if parts else "")

    def validate(self, params: Mapping[str, Any]) -> dict[str, str]:
        """The plan's parameters checked against the kind; a Russian ``ValueError`` says what
        is wrong, so a plan never waits for its first firing to fail."""
        from pathlib import Path

        known = {p.name: p for p in self.params}
        out: dict[str, str] = {}
        for name, raw in params.items():
            value = str(raw)
            spec = known.get(name)
            if spec is None:
                allowed = ", ".join(known) or "никаких"
                raise ValueError(
                    f"у задания «{self.kind}» нет параметра «{name}»; допустимы: {allowed}"
                )
            if spec.choices and value not in spec.choices:
                raise ValueError(
                    f"параметр «{name}» задания «{self.kind}»: «{value}» не подходит; "
                    f"допустимы: {', '.join(spec.choices)}"
                )
            if spec.file and not Path(value).is_file():
                raise ValueError(f"параметр «{name}»: файл «{value}» не найден")
            if spec.number:
                try:
                    float(value)
                except ValueError:
                    raise ValueError(
                        f"параметр «{name}» должен быть числом, а не «{value}»"
                    ) from None
            if spec.choices == YES_NO:
                value = "1" if value in ("да", "yes", "true", "1") else ""
            out[name] = value
        for spec in self.params:
            needed = spec.required
            if spec.required_when:
                other, values = spec.required_when
                needed = out.get(other) in values
            if needed and spec.name not in out:
                raise ValueError(
                    f"заданию «{self.kind}» нужен параметр «{spec.name}» ({spec.help}): "
                    f"--param {spec.name}=…"
                )
        return out

    def function(self) -> JobFunction:
        module_name, _, attr = self.target.partition(":")
        function: JobFunction = getattr(importlib.import_module(module_name), attr)
        return function


JOB_KINDS: dict[str, JobKind] = {
    kind.kind: kind
    for kind in (
        JobKind(
            "sync",
            "Загрузка данных из источника",
            "scheduler.tasks:sync_source",
            (
                JobParam(
                    "source",
                    "откуда загружать",
                    required=True,
                    choices=("netschool", "poo", "contingent", "e_uslugi"),
                ),
                JobParam(
                    "config",
                    "файл настроек источника (TOML)",
                    file=True,
                    required_when=("source", ("netschool", "poo")),
                ),
                JobParam("full", "загрузить всё заново", choices=YES_NO),
                JobParam("whole_year", "весь учебный год (Модуль ПОО)", choices=YES_NO),
                JobParam("url", "адрес СМЭВ 3 (для contingent, e_uslugi)"),
                JobParam("org_code", "код организации в СМЭВ 3"),
                JobParam("profile", "профиль организации"),
            ),
        ),
        JobKind(
            "check",
            "Проверка по положению об ЭЖ",
            "scheduler.tasks:run_check",
            (
                JobParam("profile", "профиль организации", required=True),
                JobParam("config", "файл настроек организации (TOML)", file=True),
                JobParam("full", "проверить всё заново", choices=YES_NO),
            ),
        ),
        JobKind(
            "outbox",
            "Отправка в реестр контингента",
            "scheduler.tasks:deliver_outbox",
            (
                JobParam("url", "адрес СМЭВ 3"),
                JobParam("org_code", "код организации в СМЭВ 3"),
                JobParam("profile", "профиль организации"),
            ),
        ),
        JobKind(
            "epgu",
            "Опрос заявлений ЕПГУ",
            "scheduler.tasks:poll_epgu",
            (
                JobParam("url", "адрес СМЭВ 3"),
                JobParam("org_code", "код организации в СМЭВ 3"),
                JobParam("profile", "профиль организации"),
            ),
        ),
        JobKind("reconcile", "Сверка источников", "scheduler.tasks:reconcile"),
        JobKind(
            "report",
            "Еженедельный отчёт заместителю директора",
            "scheduler.tasks:weekly_report",
            (JobParam("out", "папка для отчётов"),),
        ),
        JobKind(
            "export",
            "Выгрузка контингента",
            "scheduler.tasks:export_contingent",
            (
                JobParam("out", "папка для выгрузки"),
                JobParam("source", "какой журнал выгружать"),
                JobParam("format", "формат", choices=("xml", "xlsx", "csv")),
                JobParam("since_run", "только изменения после запуска с этим номером", number=True),
            ),
        ),
        JobKind(
            "noop",
            "Проверочное задание (ничего не меняет)",
            "scheduler.tasks:noop",
            (
                JobParam("sleep", "сколько секунд «работать»", number=True),
                JobParam("fail", "завершиться ошибкой (проверка повторов)", choices=YES_NO),
                JobParam("a", "любое значение (для проверок)"),
            ),
        ),
    )
}


def job_kind(kind: str) -> JobKind:
    try:
        return JOB_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(JOB_KINDS))
        raise ValueError(f"неизвестный вид задания «{kind}»; известные: {known}") from None
