"""Issue 16: ``sverka discrepancies list`` as a deputy reads it — the «№» column counts rows
(1, 2, …), the student is named in a column of their own, the internal id is gone (a short code
stays last, for ``acknowledge``), and the table fits 80 columns."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from cli.reports import short_codes
from local_store.discrepancies import Status, list_discrepancies
from tests.reconcile.worlds import ingest_world

runner = CliRunner()
FULL_ID = re.compile(r"D[0-9a-f]{12,}")


def _db(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _cells(output: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in output.splitlines()
        if line.startswith("│")
    ]


def test_numbers_names_and_a_short_code_instead_of_the_internal_id(engine: Engine) -> None:
    ingest_world(engine)
    assert runner.invoke(app, ["--db", _db(engine), "reconcile"]).exit_code == 0
    listed = runner.invoke(
        app, ["--db", _db(engine), "discrepancies", "list"], env={"COLUMNS": "80"}
    )
    assert listed.exit_code == 0, listed.output
    assert max(len(line) for line in listed.output.splitlines()) <= 80
    assert not FULL_ID.search(listed.output), listed.output
    rows = _cells(listed.output)
    numbers = [int(r[0]) for r in rows if r[0]]
    stored = [d for d in list_discrepancies(engine) if d.status is Status.OPEN]
    assert numbers == list(range(1, len(stored) + 1))
    first = next(r for r in rows if r[0] == "1")
    assert first[1] in stored[0].subject  # the name's first line, in its own column
    code = first[-1]
    assert stored[0].id.startswith(code) and len(code) < len(stored[0].id)

    ack = runner.invoke(app, ["--db", _db(engine), "discrepancies", "acknowledge", code])
    assert ack.exit_code == 0, ack.output
    after = {d.id: d.status for d in list_discrepancies(engine)}
    assert after[stored[0].id] is Status.ACKNOWLEDGED

    ambiguous = runner.invoke(app, ["--db", _db(engine), "discrepancies", "acknowledge", "D"])
    assert ambiguous.exit_code == 1
    assert "подходит к нескольким расхождениям" in ambiguous.output


def test_a_code_grows_until_no_two_ids_share_it() -> None:
    assert short_codes(["Dabcdefgh", "D12345678"]) == {
        "Dabcdefgh": "Dabcdef",
        "D12345678": "D123456",
    }
    longer = short_codes(["Dabcdef01", "Dabcdef02", "D1234567x"])
    assert set(longer.values()) == {"Dabcdef01", "Dabcdef02", "D1234567x"}
