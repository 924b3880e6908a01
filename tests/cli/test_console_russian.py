"""What a person reads on the scheduler's console is Russian; log files keep English keys."""

from __future__ import annotations

import io
import json
import logging
import re

import structlog
from sqlalchemy import Engine

from cli.logging import configure_logging
from scheduler import runner


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_failed_firing_reads_as_russian_sentences(engine: Engine) -> None:
    stream = io.StringIO()
    configure_logging(level="WARNING", stream=stream)
    runner.execute("broken", "noop", {"fail": "1"}, _url(engine))  # no scheduler: gives up
    logging.getLogger("apscheduler.executors.default").warning(
        'Run time of job "%s" was missed by %s',
        "sync-poo (trigger: interval[1:00:00], next run at: 2026-12-03 13:00:00 UTC)",
        "0:00:05.1",
    )
    structlog.get_logger("test").warning(
        "poo.mapping", detail="Кузнецова Мария Петровна: тип урока «???» неизвестен"
    )
    lines = stream.getvalue().splitlines()
    assert lines == [
        "Внимание: задание «broken» не выполнено; повтор будет позже, "
        "подробности — sverka runs --failed",
        "Ошибка: задание «broken» не выполнено, попыток: 1; следующий запуск — по плану",
        "Внимание: запуск плана «sync-poo» пропущен: планировщик не работал в назначенное "
        "время (опоздание 0:00:05.1)",
        "Внимание: «Модуль ПОО»: ***: тип урока «???» неизвестен",
    ]
    for line in lines:
        assert not re.search(r"\b[a-z_]+=|job failed|gave up|Run time", line), line


def test_log_files_keep_english_event_names(engine: Engine) -> None:
    stream = io.StringIO()
    configure_logging(json_output=True, level="WARNING", stream=stream)
    runner.execute("broken", "noop", {"fail": "1"}, _url(engine))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["job failed", "job gave up"]
    assert events[0]["job"] == "broken"
