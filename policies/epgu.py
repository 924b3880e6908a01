"""Whether an ЕПГУ e-diary application is served (policy-catalog.md §6).

Two rules decide one application: ``epgu.own_child_only`` (the applicant
must be a linked parent of that child; a refusal never says anything about the
child, so "not your child" and "no such child" read the same) and
``epgu.parent.required_fields`` (talmenka 1.6: the parent record must hold
ФИО, sex, birth date, passport and СНИЛС).  A pure function of canonical
records, so the scheduler's job, the CLI and the tests call the same thing;
the checks of the same rules over the store are in ``policies/rules/parents.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from canonical.normalize import name_key
from canonical.people import ParentLink, Person, Role
from canonical.requests import EpguRequest
from policies.calendar import WorkCalendar

REFUSE_NOT_REPRESENTATIVE = (
    "Отказ в предоставлении услуги: заявитель не является родителем (законным "
    "представителем) обучающегося, указанного в заявлении, либо такой обучающийся "
    "не найден в образовательной организации"
)
REFUSE_PERIOD = "Отказ в предоставлении услуги: окончание периода раньше его начала"
REFUSE_CANCELLED = "Заявление отозвано заявителем"

PARENT_FIELDS_RU = {
    "last_name": "фамилия",
    "first_name": "имя",
    "sex": "пол",
    "birth_date": "дата рождения",
    "passport": "паспортные данные",
    "snils": "СНИЛС",
}


def answer_deadline(
    received_at: dt.datetime, working_days: int, calendar: WorkCalendar
) -> dt.datetime:
    """The end of the ``working_days``-th working day after receipt, in the institution's
    time zone: the production calendar's holidays and moved Saturdays count, weekends do not."""
    day = calendar.add_working_days(calendar.local_date(received_at), working_days)
    return calendar.end_of_day(day)


@dataclass(frozen=True)
class Decision:
    child: Person | None
    parent: Person | None
    refusal: str | None

    @property
    def provide(self) -> bool:
        return self.refusal is None


def _same(a: object, b: object) -> bool:
    """Equal when both are known; an unknown value does not contradict."""
    return a is None or b is None or a == b


def missing_parent_fields(parent: Person) -> list[str]:
    missing = [
        name
        for name in ("last_name", "first_name", "sex", "birth_date", "snils")
        if not getattr(parent, name)
    ]
    if not (parent.document_number and (parent.document_type in (None, "21"))):
        missing.append("passport")
    order = list(PARENT_FIELDS_RU)
    return sorted(missing, key=order.index)


def decide(request: EpguRequest, people: Sequence[Person], links: Sequence[ParentLink]) -> Decision:
    """Serve the application, or refuse it with a Russian reason that discloses no child."""
    if request.period_to < request.period_from:
        return Decision(None, None, REFUSE_PERIOD)
    child_key = name_key(
        request.child_last_name, request.child_first_name, request.child_middle_name
    )
    applicant_key = name_key(
        request.applicant_last_name, request.applicant_first_name, request.applicant_middle_name
    )
    by_id = {p.source.external_id: p for p in people}
    children = [
        p
        for p in people
        if Role.STUDENT in p.roles
        and name_key(p.last_name, p.first_name, p.middle_name) == child_key
        and p.birth_date == request.child_birth_date
        and _same(p.snils, request.child_snils)
    ]
    for child in children:
        for link in links:
            if link.child_id != child.source.external_id or not link.legal_representative:
                continue
            parent = by_id.get(link.parent_id)
            if parent is None:
                continue
            if name_key(parent.last_name, parent.first_name, parent.middle_name) != applicant_key:
                continue
            if not _same(parent.birth_date, request.applicant_birth_date):
                continue
            if not _same(parent.snils, request.applicant_snils):
                continue
            missing = missing_parent_fields(parent)
            if missing:
                fields = ", ".join(PARENT_FIELDS_RU[m] for m in missing)
                return Decision(
                    None,
                    parent,
                    "Отказ в предоставлении услуги: в АИС не внесены сведения о родителе "
                    f"(законном представителе), необходимые для услуги (п. 1.6 положения): {fields}. "
                    "Обратитесь к классному руководителю или в администрацию организации",
                )
            return Decision(child, parent, None)
    return Decision(None, None, REFUSE_NOT_REPRESENTATIVE)
