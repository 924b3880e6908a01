"""The registry's view carries the orders that opened each episode; they become movement orders."""

from __future__ import annotations

import datetime as dt

from canonical import MovementKind, MovementOrder
from connectors.contingent.wire import WireContingentView, WireEpisode, WirePerson, WireStudent
from mapping.contingent import view_records


def test_first_episode_is_an_enrolment_and_later_ones_transfers() -> None:
    student = WireStudent(
        regional_id="R-1",
        person=WirePerson(last_name="Иванова", first_name="Анна"),
        episodes=(
            WireEpisode(
                episode_id="E-2",
                status="STUDYING",
                group_name="ИС-22",
                start_date=dt.date(2024, 11, 5),
                order_number="301-к",
                order_date=dt.date(2024, 11, 1),
            ),
            WireEpisode(
                episode_id="E-1",
                status="TRANSFERRED_OUT",
                group_name="ИС-21",
                start_date=dt.date(2023, 9, 1),
                end_date=dt.date(2024, 11, 5),
                order_number="120-к",
                order_date=dt.date(2023, 8, 25),
            ),
            WireEpisode(
                episode_id="E-0",
                status="EXPELLED",
                group_name="ИС-11",
                start_date=dt.date(2022, 9, 1),
            ),
        ),
    )
    view = WireContingentView(
        org_code="org", as_of=dt.datetime(2024, 12, 1, tzinfo=dt.UTC), students=(student,)
    )
    orders = sorted(
        (r for r in view_records(view, "smev") if isinstance(r, MovementOrder)),
        key=lambda o: o.order_date,
    )
    assert [(o.movement, o.number) for o in orders] == [
        (MovementKind.ENROLMENT, "120-к"),
        (MovementKind.TRANSFER, "301-к"),
    ], "an episode without an order number gives no order; the first numbered one is the enrolment"
    transfer = orders[1]
    assert (transfer.from_group_id, transfer.to_group_id) == ("ИС-21", "ИС-22")
    assert transfer.effective_date == dt.date(2024, 11, 5)
    assert transfer.student_id == "R-1"
