"""Canonical ⇄ the registry's wire documents (``connectors.contingent``).

Pure: no I/O.  Movement orders with their student become movement events;
the registry's view becomes canonical people, groups and enrolments of the
``contingent`` platform; a per-record result becomes ``RegistryFeedback``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping

from canonical.base import Platform, Record, SourceRef
from canonical.contingent import Enrolment, EnrolmentStatus, MovementKind, MovementOrder
from canonical.people import Person, Role, Sex
from canonical.requests import RegistryFeedback, RegistryResult
from canonical.structure import Group, GroupKind
from connectors.contingent.wire import (
    WireContingentView,
    WireEpisode,
    WireMovementEvent,
    WirePerson,
    WireRecordResult,
)

EVENT_KINDS: dict[MovementKind, str] = {
    MovementKind.ENROLMENT: "ENROLMENT",
    MovementKind.EXPULSION: "EXPULSION",
    MovementKind.TRANSFER: "TRANSFER",
    MovementKind.ACADEMIC_LEAVE: "ACADEMIC_LEAVE",
    MovementKind.RETURN: "RETURN",
    MovementKind.GRADUATION: "GRADUATION",
}
GENDER_CODES: dict[Sex, str] = {Sex.MALE: "1", Sex.FEMALE: "2"}
SEX_BY_CODE = {code: sex for sex, code in GENDER_CODES.items()}
EPISODE_STATUS: dict[str, EnrolmentStatus] = {
    "STUDYING": EnrolmentStatus.STUDYING,
    "ACADEMIC_LEAVE": EnrolmentStatus.ACADEMIC_LEAVE,
    "EXPELLED": EnrolmentStatus.EXPELLED,
    "GRADUATED": EnrolmentStatus.GRADUATED,
    "TRANSFERRED_OUT": EnrolmentStatus.TRANSFERRED_OUT,
}


def event_key(order: MovementOrder) -> str:
    """The outbox key of an order: one push per order of one source, ever."""
    platform, deployment, external_id = order.source.key()
    return f"movement:{platform}:{deployment}:{external_id}"


def record_id(order: MovementOrder) -> str:
    """The registry's ``RecordId`` (≤ 50 characters): a stable digest of :func:`event_key`."""
    return "MO-" + hashlib.sha256(event_key(order).encode()).hexdigest()[:32]


def wire_person(person: Person) -> WirePerson:
    return WirePerson(
        local_id=person.source.external_id[:50],
        last_name=person.last_name,
        first_name=person.first_name,
        middle_name=person.middle_name or None,
        birth_date=person.birth_date,
        gender=GENDER_CODES.get(person.sex) if person.sex else None,
        snils=person.snils,
        document_type=person.document_type,
        document_series=person.document_series,
        document_number=person.document_number,
        document_issue_date=person.document_issued_on,
    )


def movement_event(
    order: MovementOrder, student: Person, groups: Mapping[str, Group], org_code: str
) -> WireMovementEvent:
    group_from = groups.get(order.from_group_id) if order.from_group_id else None
    group_to = groups.get(order.to_group_id) if order.to_group_id else None
    target = group_to or group_from
    return WireMovementEvent(
        org_code=org_code,
        record_id=record_id(order),
        person=wire_person(student),
        event_kind=EVENT_KINDS[order.movement],
        order_number=order.number,
        order_date=order.order_date,
        effective_date=order.effective_date,
        group_from=group_from.name if group_from else None,
        group_to=group_to.name if group_to else None,
        grade=target.grade if target else None,
        course=target.course if target else None,
        specialty=target.specialty if target else None,
        reason=order.reason,
    )


def view_records(
    view: WireContingentView, deployment: str, group_kind: GroupKind = GroupKind.CLASS
) -> list[Record]:
    """The registry's view as canonical records of the ``contingent`` platform.

    The registry knows groups only by name, so a group's external id is its name.
    """

    def src(external_id: str) -> SourceRef:
        return SourceRef(
            platform=Platform.CONTINGENT, deployment=deployment, external_id=external_id
        )

    records: list[Record] = []
    groups: dict[str, Group] = {}
    for student in view.students:
        p = student.person
        records.append(
            Person(
                source=src(student.regional_id),
                last_name=p.last_name,
                first_name=p.first_name,
                middle_name=p.middle_name or "",
                roles=(Role.STUDENT,),
                birth_date=p.birth_date,
                sex=SEX_BY_CODE.get(p.gender or ""),
                snils=p.snils,
                document_type=p.document_type,
                document_series=p.document_series,
                document_number=p.document_number,
                document_issued_on=p.document_issue_date,
            )
        )
        previous: WireEpisode | None = None
        for episode in sorted(student.episodes, key=lambda e: e.start_date):
            if episode.order_number and episode.order_date:
                records.append(_episode_order(src, student.regional_id, episode, previous))
            previous = episode
            if episode.group_name not in groups:
                groups[episode.group_name] = Group(
                    source=src(episode.group_name), name=episode.group_name, group_kind=group_kind
                )
            records.append(
                Enrolment(
                    source=src(episode.episode_id),
                    student_id=student.regional_id,
                    group_id=episode.group_name,
                    status=EPISODE_STATUS.get(episode.status, EnrolmentStatus.STUDYING),
                    starts_on=episode.start_date,
                    ends_on=episode.end_date,
                    order_number=episode.order_number,
                    order_date=episode.order_date,
                )
            )
    return [*groups.values(), *records]


def _episode_order(
    src: Callable[[str], SourceRef],
    student_id: str,
    episode: WireEpisode,
    previous: WireEpisode | None,
) -> MovementOrder:
    """The order that opened an episode, as the registry knows it.

    The registry keeps the order number and date on each episode: an episode
    that follows one closed by a transfer was opened by that transfer, any
    other by an enrolment.  Orders that close an episode (expulsion,
    graduation) and status changes within one (academic leave, return) carry
    no number there.
    """
    assert episode.order_number is not None and episode.order_date is not None
    transfer = previous is not None and previous.status == "TRANSFERRED_OUT"
    return MovementOrder(
        source=src(f"order:{episode.episode_id}"),
        student_id=student_id,
        movement=MovementKind.TRANSFER if transfer else MovementKind.ENROLMENT,
        number=episode.order_number,
        order_date=episode.order_date,
        effective_date=episode.start_date,
        from_group_id=previous.group_name if transfer and previous is not None else None,
        to_group_id=episode.group_name,
    )


def feedback(
    *,
    key: str,
    deployment: str,
    message_id: str,
    student_id: str,
    received_at: dt.datetime,
    result: WireRecordResult | None = None,
    refusal: str | None = None,
) -> RegistryFeedback:
    """One registry answer (or a refusal of the whole message) as canonical feedback.

    Only the first error's code and field are kept as columns; every error's
    text goes into ``message`` so the discrepancy carries the registry's words.
    """
    source = SourceRef(platform=Platform.CONTINGENT, deployment=deployment, external_id=key)
    if result is None:
        return RegistryFeedback(
            source=source,
            message_id=message_id,
            student_id=student_id,
            result=RegistryResult.REJECTED,
            error_code="SMEV_REJECTED",
            message=refusal,
            received_at=received_at,
        )
    first = result.errors[0] if result.errors else None
    return RegistryFeedback(
        source=source,
        message_id=message_id,
        student_id=student_id,
        result=RegistryResult(result.status),
        error_code=first.code if first else None,
        field=first.field if first else None,
        message="; ".join(e.message for e in result.errors) or None,
        received_at=received_at,
    )
