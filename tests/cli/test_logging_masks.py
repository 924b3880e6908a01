"""Personal data planted in log events never reaches the output, console or JSON."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from cli.logging import configure_logging

SNILS = "112-233-445 95"
PASSPORT = "4512 345678"
BIRTH = "2009-04-17"
NAME = "Ёлкина Алёна Сергеевна"


def _emit(json_output: bool) -> str:
    stream = io.StringIO()
    configure_logging(json_output=json_output, level="DEBUG", stream=stream)
    log = structlog.get_logger("test")
    log.info("person loaded", snils=SNILS, passport=PASSPORT, birth_date=BIRTH, full_name=NAME)
    log.warning(
        f"card of {NAME} with СНИЛС {SNILS.replace('-', '').replace(' ', '')} born 17.04.2009"
    )
    log.info("nested", payload={"parents": [{"last_name": "Ёлкин", "snils": SNILS}]}, count=3)
    logging.getLogger("httpx").warning("GET /card?snils=%s passport %s", SNILS, PASSPORT)
    return stream.getvalue()


@pytest.mark.parametrize("json_output", [False, True])
def test_personal_data_is_masked(json_output: bool) -> None:
    output = _emit(json_output)
    for secret in (
        SNILS,
        "11223344595",
        PASSPORT,
        "4512345678",
        BIRTH,
        "17.04.2009",
        "Ёлкина",
        "Ёлкин",
        "Алёна",
    ):
        assert secret not in output, f"{secret!r} leaked into the log"
    # What is not personal stays readable.
    assert "person loaded" in output and "card of" in output
    assert "count" in output and "3" in output


def test_json_lines_are_json() -> None:
    lines = [line for line in _emit(True).splitlines() if line.startswith("{")]
    assert len(lines) == 3
    events = [json.loads(line) for line in lines]
    assert events[0]["snils"] == "***"
    assert events[2]["payload"]["parents"][0]["snils"] == "***"
