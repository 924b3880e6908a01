"""A violation's stored evidence as Russian lines a deputy reads.

The store keeps evidence as data (English keys, ISO instants in UTC, record ids) so that
checks and exports can reason over it; people never see that form.  Each known key has a
Russian label and a way to show its value: instants in the institution's zone as
``DD.MM.YYYY HH:MM``, dates as ``DD.MM.YYYY``, the platform's codes in words.  Keys that
hold internal ids (a group's, a subject's, a record's) are named through the journal when
a lookup is given and left out otherwise; an unknown key is left out rather than shown raw.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from canonical.wording import MOVEMENT_RU, ru_date, ru_moment
from canonical.wording import STATUS_RU as ENROLMENT_STATUS_RU

MOMENT, DATE, NUMBER, TEXT, SHARE, FLAG = "moment", "date", "number", "text", "share", "flag"

LABELS: dict[str, tuple[str, str]] = {
    "seen_at": ("Запись впервые увидела синхронизация", MOMENT),
    "prev_seen_at": ("Предыдущая синхронизация (записи ещё не было)", MOMENT),
    "source_entered_at": ("Время записи по данным платформы", MOMENT),
    "last_seen_at": ("Последняя синхронизация", MOMENT),
    "earliest_allowed": ("Раньше этого времени запись вносить нельзя", MOMENT),
    "deadline": ("Срок", MOMENT),
    "runs": ("Отчёт формировался", MOMENT),
    "day": ("Дата", DATE),
    "last_lesson": ("Последний урок по КТП", DATE),
    "horizon": ("Журнал просмотрен по", DATE),
    "issued_on": ("Пригласительный код выдан", DATE),
    "registered_on": ("Регистрация", DATE),
    "announced_on": ("Результаты объявлены", DATE),
    "previous": ("Предыдущая выдача сведений на бумаге", DATE),
    "next": ("Следующая выдача сведений на бумаге", DATE),
    "window": ("Период", DATE),
    "reviews": ("Выверки за период", DATE),
    "week": ("Неделя", TEXT),
    "missing": ("Записи в журнале нет", FLAG),
    "before": ("Было", TEXT),
    "after": ("Стало", TEXT),
    "value": ("Отметка", TEXT),
    "topic": ("Тема урока", TEXT),
    "plan_topic": ("Тема по КТП", TEXT),
    "work_kind": ("Вид работы", TEXT),
    "number": ("Номер приказа", TEXT),
    "movement": ("Вид движения", TEXT),
    "order_id": ("Номер заявления ЕПГУ", TEXT),
    "missing_fields": ("Не заполнено", TEXT),
    "differences": ("Расхождения", TEXT),
    "plan_hours": ("Часов в КТП", NUMBER),
    "curriculum_hours": ("Часов по учебному плану", NUMBER),
    "lessons_ahead": ("Уроков вперёд", NUMBER),
    "lessons": ("Уроков за неделю", NUMBER),
    "entries": ("Записей в журнале за неделю", NUMBER),
    "students": ("Обучающихся", NUMBER),
    "without_marks": ("Без отметок", NUMBER),
    "one_mark": ("С одной отметкой", NUMBER),
    "median_marks": ("Медиана числа отметок", NUMBER),
    "share_without_marks": ("Доля без отметок", SHARE),
    "share_one_mark": ("Доля с одной отметкой", SHARE),
    "skipped_items": ("Пропущено тем КТП", NUMBER),
    "idle_school_days": ("Учебных дней без уроков", NUMBER),
    "reached_item": ("Пройдено тем КТП", NUMBER),
    "expected_item": ("Ожидалось тем КТП", NUMBER),
    "behind": ("Отставание, тем", NUMBER),
    "plan_items": ("Тем в КТП", NUMBER),
}
IDS = frozenset(
    {"group", "subject", "teacher", "person", "student", "lesson", "registry_id", "job", "status"}
)
"""Keys whose values are internal ids or codes: never printed as such."""

FIELDS_RU = {
    "last_name": "фамилия",
    "first_name": "имя",
    "middle_name": "отчество",
    "birth_date": "дата рождения",
    "sex": "пол",
    "snils": "СНИЛС",
    "document_number": "документ (паспорт)",
    "passport": "паспорт",
    "email": "адрес электронной почты",
    "parent": "родитель",
    "group": "группа",
    "order": "номер и дата приказа",
}
DIFFERENCES_RU = {
    "registry": "реестр контингента",
    "journal": "журнал",
    "status": "статус",
    "group": "группа",
    "movement_date": "дата движения",
}

Namer = Callable[[str], str]


def _one(value: Any, kind: str, timezone: str) -> str:
    if isinstance(value, str) and kind in (MOMENT, DATE) and len(value) >= 10:
        try:
            if kind == MOMENT and len(value) > 10:
                return ru_moment(value, timezone)
            return ru_date(value)
        except ValueError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if kind == SHARE:
            return f"{value * 100:.0f}%"
        return f"{value:g}".replace(".", ",")
    return str(value)


def _difference(key: str, value: Any, group_name: Namer | None) -> str | None:
    title = DIFFERENCES_RU.get(key)
    if title is None:
        return None
    if not isinstance(value, Mapping):
        return str(value)

    def side(raw: Any) -> str:
        text = str(raw)
        if key == "status":
            return ENROLMENT_STATUS_RU.get(text, text)
        if key == "movement_date":
            return ru_date(text)
        if key == "group":
            return group_name(text) if group_name else "другая группа"
        return text

    return (
        f"{title}: в журнале — {side(value.get('journal'))}, "
        f"в реестре — {side(value.get('registry'))}"
    )


def evidence_lines(
    evidence: Mapping[str, Any] | None,
    timezone: str,
    group_name: Namer | None = None,
) -> tuple[str, ...]:
    """One Russian line per piece of evidence («Срок — 25.12.2026 23:59»)."""
    if not evidence:
        return ()
    lines: list[str] = []
    for key, value in evidence.items():
        if value is None or value == "" or value == [] or key in IDS:
            continue
        known = LABELS.get(key)
        if known is None:
            continue
        label, kind = known
        if kind == FLAG:
            if value is True:
                lines.append(label)
            continue
        if key == "missing_fields" and isinstance(value, list):
            text = ", ".join(FIELDS_RU.get(str(f), "другое поле") for f in value)
        elif key == "movement":
            text = MOVEMENT_RU.get(str(value), "движение обучающегося")
        elif key == "differences" and isinstance(value, Mapping):
            parts = [_difference(k, v, group_name) for k, v in value.items()]
            text = "; ".join(p for p in parts if p)
        elif key == "window" and isinstance(value, list) and len(value) == 2:
            text = f"с {_one(value[0], DATE, timezone)} по {_one(value[1], DATE, timezone)}"
        elif isinstance(value, list):
            text = ", ".join(_one(v, kind, timezone) for v in value)
        else:
            text = _one(value, kind, timezone)
        if text:
            lines.append(f"{label} — {text}")
    return tuple(lines)


def local_text(value: dt.datetime | None, timezone: str) -> str:
    """An instant for a person: local ``DD.MM.YYYY HH:MM``."""
    return ru_moment(value, timezone)


# --------------------------------------------------------------------------- discrepancy sides

SIDE_PLACES = {
    "netschool": "журнал («Сетевой город»)",
    "poo": "журнал («Модуль ПОО»)",
    "eljur": "журнал (ЭлЖур)",
    "local": "журнал (файл организации)",
    "journal": "журнал",
    "contingent": "реестр контингента",
    "e_uslugi": "«Е-услуги. Образование»",
    "epgu": "ЕПГУ",
}
"""Where a side of a discrepancy was seen, as a person names the system."""
SIDE_KEYS = {
    "number": "номер приказа",
    "order_date": "дата приказа",
    "effective_date": "вступает в силу",
    "movement": "вид",
    "result": "ответ",
    "code": "код",
    "message": "причина",
    "status": "статус",
    "group": "группа",
}
"""Keys of a side's value; any other key is left out rather than shown in English."""
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_VALUE_WORDS = {**ENROLMENT_STATUS_RU, **MOVEMENT_RU}


def _side_value(value: Any) -> str:
    """A compared value as a person reads it: Russian words, dates as DD.MM.YYYY, no blanks."""
    text = str(value).strip()
    if _ISO_DAY.fullmatch(text):
        return ru_date(text)
    if _ISO_DAY.match(text) and "T" in text:
        return ru_date(text[:10])
    return str(_VALUE_WORDS.get(text, text))


def side_text(side: Mapping[str, Any] | None) -> str | None:
    """One side of a discrepancy, «реестр контингента: номер приказа 176-к, дата приказа
    27.08.2024, вид отчисление»: empty and unknown fields left out, dates in Russian order,
    no record ids; ``None`` when there is no side at all."""
    if not side:
        return None
    platform = str(side.get("platform") or "")
    where = SIDE_PLACES.get(platform, "другая система")
    value = side.get("value")
    if isinstance(value, Mapping):
        parts = [
            f"{SIDE_KEYS[k]} {_side_value(v)}"
            for k, v in value.items()
            if k in SIDE_KEYS and v is not None and str(v).strip()
        ]
        shown = ", ".join(parts)
    elif isinstance(value, list):
        shown = ", ".join(_side_value(v) for v in value if v is not None and str(v).strip())
    elif value is None or not str(value).strip():
        shown = ""
    else:
        shown = _side_value(value)
    if not shown:
        shown = "записи нет" if not side.get("external_id") else "значение не указано"
    return f"{where}: {shown}"
