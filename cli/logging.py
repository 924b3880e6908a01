"""Logging: readable console lines by default, JSON lines on request, personal data masked.

The masking processor is the last line of defence: code should not log
personal data at all, but a ФИО in an exception text or a СНИЛС in a wire
dump must never reach a log file.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

MASK = "***"

SENSITIVE_KEYS = frozenset(
    {
        "snils",
        "passport",
        "document_number",
        "document_series",
        "birth_date",
        "birthdate",
        "last_name",
        "first_name",
        "middle_name",
        "full_name",
        "fio",
        "name",
        "password",
        "pw",
        "pw2",
        "login",
        "phone",
        "email",
    }
)
"""Keys whose values are masked wherever they appear in an event, however nested."""

_PATTERNS = [
    # СНИЛС: 123-456-789 01, 12345678901
    re.compile(r"\b\d{3}-\d{3}-\d{3}[ -]\d{2}\b"),
    re.compile(r"(?<!\d)\d{11}(?!\d)"),
    # Passport of the RF: 45 12 345678, 4512 345678, 4512345678
    re.compile(r"(?<!\d)\d{2}\s?\d{2}\s?\d{6}(?!\d)"),
    # Dates (birth dates look like any date; dates of personal data are masked too).
    re.compile(r"\b\d{2}\.\d{2}\.(?:19|20)\d{2}\b"),
    re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}(?![T\d:])"),
    # A Russian full name: three capitalised Cyrillic words, the last a patronymic.
    re.compile(
        r"\b[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\s+[А-ЯЁ][а-яё]+\s+"
        r"[А-ЯЁ][а-яё]+(?:вич|вна|ична|инична|оглы|кызы)\b"
    ),
]


def mask_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def _mask_value(key: str | None, value: Any) -> Any:
    if key is not None and key.lower() in SENSITIVE_KEYS and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(None, v) for v in value]
    return value


def mask_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask personal data in every key and value of an event."""
    for key in list(event_dict):
        if key in ("timestamp", "level", "logger"):
            continue
        event_dict[key] = _mask_value(key if key != "event" else None, event_dict[key])
    return event_dict


class _MaskFilter(logging.Filter):
    """Masks personal data in the standard library's records (libraries log through it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now, not to the one seen at configuration.

    A process that swaps standard error (a test runner capturing output, a
    daemon redirecting it) would otherwise leave the loggers writing to a
    closed stream.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


class _RussianFormatter(logging.Formatter):
    """Library records on a person's console: a Russian sentence, not the library's English."""

    def format(self, record: logging.LogRecord) -> str:
        from cli.log_words import LEVEL_RU, library_sentence

        level = LEVEL_RU.get(record.levelname.lower(), "Сведения")
        return f"{level}: {library_sentence(record.getMessage())}"


def configure_logging(
    *,
    json_output: bool = False,
    level: str = "INFO",
    stream: TextIO | None = None,
    russian: bool | None = None,
) -> None:
    """Set up structlog (and the standard library's root logger) once per process.

    ``russian`` (default: a console that is neither JSON nor ``DEBUG``) prints one Russian
    sentence per event for the people who read it; JSON and verbose output keep the English
    event names and keys.
    """
    out: Any = stream if stream is not None else _CurrentStderr()
    if russian is None:
        russian = not json_output and level != "DEBUG"
    renderer: Any
    if json_output:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    elif russian:
        from cli.log_words import russian_console

        renderer = russian_console
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_personal_data,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        _RussianFormatter()
        if russian and not json_output
        else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    handler.addFilter(_MaskFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "zeep", "alembic", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
