"""Russian wording shared by every layer that writes for people: counts with the right
noun form, dates and moments as a Russian reader writes them (``DD.MM.YYYY HH:MM`` in
the institution's own zone), never ISO and never UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def plural(n: float, one: str, few: str, many: str) -> str:
    """The noun form for ``n``: 1 день, 2 дня, 5 дней (fractions take the «few» form)."""
    if n != int(n):
        return few
    k = abs(int(n)) % 100
    if 11 <= k <= 14:
        return many
    k %= 10
    if k == 1:
        return one
    if 2 <= k <= 4:
        return few
    return many


def count(n: float, one: str, few: str, many: str) -> str:
    number = f"{n:g}".replace(".", ",")
    return f"{number} {plural(n, one, few, many)}"


def ru_date(value: dt.date | str | None) -> str:
    if value is None or value in ("", "None"):
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return "—"
    return value.strftime("%d.%m.%Y")


def ru_moment(value: dt.datetime | str | int | None, timezone: str) -> str:
    """A stored instant (aware datetime, ISO string or epoch seconds) in local time."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    elif isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


KIND_TITLES: dict[str, str] = {
    "institution": "организация",
    "school_year": "учебные годы",
    "period": "учебные периоды",
    "holiday": "каникулы",
    "group": "группы",
    "subgroup": "подгруппы",
    "subgroup_member": "составы подгрупп",
    "subject": "предметы",
    "person": "люди",
    "parent_link": "связи с родителями",
    "movement_order": "приказы",
    "enrolment": "зачисления",
    "expected_enrolment": "ожидаемые зачисления",
    "work_kind": "виды работ",
    "plan": "КТП",
    "plan_item": "темы КТП",
    "teaching_assignment": "нагрузка",
    "lesson": "уроки",
    "homework": "домашние задания",
    "mark": "отметки",
    "absence": "пропуски",
    "diary_opt_out": "отказы от электронного дневника",
    "paper_report": "выдачи сведений на бумаге",
    "invitation_code": "пригласительные коды",
    "approval": "согласования",
    "journal_outage": "сбои журнала",
    "result_announcement": "объявления результатов",
    "data_review": "выверки данных",
    "epgu_request": "заявления ЕПГУ",
    "registry_feedback": "ответы реестра",
}
"""Canonical record kinds as people name them (``sverka status``, run summaries)."""


MOVEMENT_RU: dict[str, str] = {
    "enrolment": "зачисление",
    "expulsion": "отчисление",
    "transfer": "перевод",
    "academic_leave": "академический отпуск",
    "return": "выход из академического отпуска",
    "graduation": "выпуск",
}
"""Kinds of movement orders (``MovementOrder.movement``) as an order names them."""

STATUS_RU: dict[str, str] = {
    "studying": "обучается",
    "academic_leave": "академический отпуск",
    "expelled": "отчислен",
    "graduated": "выпускник",
    "transferred_out": "выбыл",
}
"""Enrolment statuses (``EnrolmentStatus``) as the contingent registry names them."""


def kind_title(kind: str) -> str:
    return KIND_TITLES.get(kind, "другие записи")
