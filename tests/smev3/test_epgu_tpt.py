"""ЕПГУ at tpt: the same three applications as talmenka's, decided by tpt's own requirements.

Through the СМЭВ emulator and the ЕПГУ connector.  1001, a linked mother with the data her
card needs, is served; 1002, the same mother asking about another family's child, is refused
as not the child's representative.  1003, the other child's father, carries no СНИЛС: talmenka
(п. 1.6) refuses him (``test_epgu.test_applications_are_decided_and_answered``), tpt, whose
regulation asks no such thing, serves him.
"""

from __future__ import annotations

from sqlalchemy import Engine

from canonical.requests import EpguRequest, EpguRequestStatus
from emulators.scenario.world import World
from local_store.history import records_as_of
from pipelines.smev3.epgu import poll_epgu
from policies.epgu import REFUSE_NOT_REPRESENTATIVE
from tests.smev3.conftest import Running, seed_journal


async def test_tpt_serves_its_parents_and_refuses_the_stranger(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    assert smev.control("POST", "parties/epgu/send")["sent"] == 3
    report = await poll_epgu(engine, smev.options(profile="tpt"), budget_seconds=20)
    assert (report.received, report.provided, report.refused) == (3, 2, 1)
    stored = {
        r.order_id: r for r in records_as_of(engine, "epgu_request") if isinstance(r, EpguRequest)
    }
    assert stored["1001"].status is EpguRequestStatus.ANSWERED, stored["1001"].status_reason
    assert stored["1003"].status is EpguRequestStatus.ANSWERED, stored["1003"].status_reason
    assert stored["1002"].status is EpguRequestStatus.REFUSED
    assert stored["1002"].status_reason == REFUSE_NOT_REPRESENTATIVE
    answers = {a["order_id"]: a["status_code"] for a in smev.control("GET", "epgu")["answers"]}
    assert answers == {"1001": "3", "1002": "4", "1003": "3"}, "final answers reached ЕПГУ"
