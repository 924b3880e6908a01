"""Issue 16: the outbox shows why СМЭВ refused a message in Russian (field, what is wrong);
the validator's English diagnostic stays in the stored row for whoever debugs the exchange.

The diagnostics come from the emulator's real schema check over loopback, not from strings
typed here."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from lxml import etree
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from connectors.contingent.wire import WireMovementEvent, WirePerson, event_xml
from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import SmevFaultError
from connectors.smev3.signing import MockSigner
from reports.outbox_words import outbox_reason
from tests.smev3.conftest import Running
from tests.smev3.worlds import ORG, SNILS_S4

CNT = "urn://sverka/contingent/1.0"
LATIN = re.compile(r"[A-Za-z]{3,}")


def _event() -> etree._Element:
    return event_xml(
        WireMovementEvent(
            org_code=ORG,
            record_id="R1",
            event_kind="ENROLMENT",
            order_number="31-у",
            order_date=dt.date(2026, 9, 30),
            effective_date=dt.date(2026, 10, 1),
            group_to="5А",
            person=WirePerson(
                last_name="Кузнецова",
                first_name="Мария",
                birth_date=dt.date(2014, 5, 5),
                gender="2",
                snils=SNILS_S4,
            ),
        )
    )


async def _refusal(smev: Running, content: etree._Element) -> str:
    settings = SmevSettings(smev.smev)
    async with SmevClient(settings, signer=MockSigner()) as client:
        with pytest.raises(SmevFaultError) as refused:
            await client.send_request(content, new_message_id())
    return refused.value.message


def _set(content: etree._Element, local: str, text: str) -> etree._Element:
    found = content.find(f".//{{{CNT}}}{local}")
    assert found is not None, local
    found.text = text
    return content


@pytest.mark.parametrize(
    ("local", "text", "expected"),
    [
        ("Snils", "123", "поле «СНИЛС»: значение не соответствует формату"),
        ("OrderDate", "не дата", "поле «дата приказа»: значение не того вида"),
    ],
)
async def test_a_schema_refusal_reads_as_field_and_fault(
    smev: Running, local: str, text: str, expected: str
) -> None:
    raw = await _refusal(smev, _set(_event(), local, text))
    assert LATIN.search(raw), f"the emulator's diagnostic is English: {raw}"
    shown = outbox_reason(raw)
    assert shown.startswith("СМЭВ отклонил сообщение: содержимое не соответствует схеме"), shown
    assert expected in shown, shown
    assert not LATIN.search(shown), (raw, shown)


async def test_an_unexpected_element_is_named(smev: Running) -> None:
    bad = _event()
    etree.SubElement(bad, f"{{{CNT}}}Unexpected").text = "x"
    shown = outbox_reason(await _refusal(smev, bad))
    assert "лишнее или не на своём месте поле" in shown, shown


async def test_a_missing_field_is_named_as_missing(smev: Running) -> None:
    bad = _event()
    date = bad.find(f"{{{CNT}}}OrderDate")
    assert date is not None
    bad.remove(date)
    shown = outbox_reason(await _refusal(smev, bad))
    assert "не заполнено обязательное поле «дата приказа»" in shown, shown


def test_the_real_smevs_xerces_diagnostics_read_the_same() -> None:
    title = "СМЭВ отклонил сообщение: содержимое не соответствует схеме (InvalidContent)"
    xerces = (
        f"{title}; пояснение СМЭВ: SMEV-403: cvc-pattern-valid: Value '123' is not facet-valid "
        "with respect to pattern '\\d{11}' for type 'SnilsType'."
    )
    assert outbox_reason(xerces) == (
        "СМЭВ отклонил сообщение: содержимое не соответствует схеме: "
        "поле «СНИЛС»: значение не соответствует формату."
    )


def test_russian_reasons_pass_through_and_blank_stays_blank() -> None:
    assert outbox_reason(None) == "" and outbox_reason("  ") == ""
    registry = "Реестр отклонил запись; пояснение СМЭВ: неверная контрольная сумма СНИЛС"
    assert outbox_reason(registry) == "Реестр отклонил запись: неверная контрольная сумма СНИЛС."
    assert not LATIN.search(outbox_reason("Connection reset by peer"))


async def test_sverka_outbox_shows_russian_and_the_store_keeps_the_raw_text(
    smev: Running, engine: Engine
) -> None:
    from local_store import outbox
    from pipelines.smev3.channels import MOVEMENT

    raw = await _refusal(smev, _set(_event(), "Snils", "123"))
    with engine.begin() as conn:
        outbox.enqueue(
            conn,
            outbox.NewItem(MOVEMENT, "smev.test", "ev-1", new_message_id(), "SendRequest", "<x/>"),
        )
    [item] = outbox.items(engine)
    with engine.begin() as conn:
        outbox.mark_failed(conn, item.id, raw)
    url = engine.url.render_as_string(hide_password=False)
    shown = CliRunner().invoke(app, ["--db", url, "outbox"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "поле «СНИЛС»: значение не соответствует формату" in text, text
    assert "cvc" not in text and "pattern" not in text
    assert outbox.items(engine)[0].last_error == raw, "the raw diagnostic is kept for the log"
