"""The contingent: who studies where, and the orders that move them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar

from canonical.base import Record


class MovementKind(StrEnum):
    ENROLMENT = "enrolment"
    EXPULSION = "expulsion"
    TRANSFER = "transfer"
    """Between groups (or classes) of the same institution."""
    ACADEMIC_LEAVE = "academic_leave"
    RETURN = "return"
    """Back from academic leave."""
    GRADUATION = "graduation"


class MovementOrder(Record):
    """An order (приказ) moving one student: its number and date, and when it takes effect."""

    kind: ClassVar[str] = "movement_order"

    student_id: str
    movement: MovementKind
    number: str
    order_date: dt.date
    effective_date: dt.date
    from_group_id: str | None = None
    to_group_id: str | None = None
    reason: str | None = None


class EnrolmentStatus(StrEnum):
    STUDYING = "studying"
    ACADEMIC_LEAVE = "academic_leave"
    EXPELLED = "expelled"
    GRADUATED = "graduated"
    TRANSFERRED_OUT = "transferred_out"


class Enrolment(Record):
    """An enrolment episode: a student in a group from one date to another."""

    kind: ClassVar[str] = "enrolment"

    student_id: str
    group_id: str
    status: EnrolmentStatus
    starts_on: dt.date | None
    """``None`` where the platform does not say since when (NetSchool's class lists)."""
    ends_on: dt.date | None = None
    order_number: str | None = None
    order_date: dt.date | None = None
