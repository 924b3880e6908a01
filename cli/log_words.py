"""What the console says when the program logs: one Russian sentence per event.

Log files (``--log-json``) keep the English event names and keys that tools
search by; a person watching ``sverka scheduler run`` reads these sentences
instead.  ``--verbose`` keeps structlog's developer lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

EVENTS_RU: dict[str, str] = {
    "job failed": (
        "задание «{job}» не выполнено; повтор будет позже, подробности — sverka runs --failed"
    ),
    "job gave up": (
        "задание «{job}» не выполнено, попыток: {attempts}; следующий запуск — по плану"
    ),
    "runs left running by a dead process marked interrupted": (
        "запуски, оборванные прошлой остановкой планировщика, отмечены прерванными: {runs}"
    ),
    "poo.mapping": "«Модуль ПОО»: {detail}",
    "netschool.mapping": "«Сетевой город»: {detail}",
    "eljur.mapping": "ЭлЖур: {detail}",
    "poo.logout_failed": "не удалось выйти из «Модуля ПОО» ({host}); сеанс закроется сам",
    "firing taken by another process": "запуск плана «{job}» уже выполняет другой процесс",
    "job done": "задание «{job}» выполнено",
    "scheduler started": "планировщик запущен, планов: {jobs}",
    "scheduler stopped": "планировщик остановлен",
    "stop requested": "получен сигнал остановки; текущее задание завершится",
}
"""Event names (as the code logs them) → Russian sentences over the event's keys."""

LEVEL_RU = {
    "debug": "Отладка",
    "info": "Сведения",
    "warning": "Внимание",
    "error": "Ошибка",
    "critical": "Ошибка",
    "exception": "Ошибка",
}

_LIBRARY_RU: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r'Run time of job "(?P<job>.+?)(?: \(trigger.*)?" was missed by (?P<late>.+)'),
        "запуск плана «{job}» пропущен: планировщик не работал в назначенное время "
        "(опоздание {late})",
    ),
    (
        re.compile(r'Execution of job "(?P<job>.+?)(?: \(trigger.*)?" skipped: maximum number'),
        "запуск плана «{job}» пропущен: предыдущий запуск ещё не закончился",
    ),
    (
        re.compile(r'Job "(?P<job>.+?)(?: \(trigger.*)?" raised an exception'),
        "план «{job}» завершился ошибкой; подробности — sverka runs --failed",
    ),
    (
        re.compile(r"Error getting due jobs from job store"),
        "планировщик не смог прочитать планы из хранилища; повторит через минуту",
    ),
]


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def _has_cyrillic(text: str) -> bool:
    return any("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in text)


def event_sentence(event: str, values: Mapping[str, Any]) -> str:
    """The Russian sentence for one event; an unknown English event is not shown raw."""
    template = EVENTS_RU.get(event)
    if template is not None:
        return template.format_map(_Blank(values))
    if _has_cyrillic(event):
        return event
    return "служебное событие программы; подробности — с ключом --verbose или --log-json"


def library_sentence(message: str) -> str:
    """A library's (APScheduler's) English log message in Russian, when we know it."""
    for pattern, template in _LIBRARY_RU:
        match = pattern.search(message)
        if match:
            return template.format_map(_Blank(match.groupdict()))
    if _has_cyrillic(message):
        return message
    return "служебное сообщение библиотеки; подробности — с ключом --verbose"


def russian_console(_logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> str:
    """structlog renderer for people: «Внимание: задание «…» не выполнено…»."""
    level = str(event_dict.get("level") or method)
    event = str(event_dict.get("event") or "")
    return f"{LEVEL_RU.get(level, 'Сведения')}: {event_sentence(event, event_dict)}"
