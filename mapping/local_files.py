"""The institution's own tables → canonical records (``Platform.LOCAL``).

Columns are named either by the canonical field (``given_on``) or by the
Russian header a secretary would write («Дата выдачи»).  A row that cannot be
read is reported with its line and column and left out; the others are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from canonical.base import Platform, Record, SourceRef
from canonical.registry import record_type

LOCAL_KINDS = (
    "person",
    "diary_opt_out",
    "paper_report",
    "invitation_code",
    "approval",
    "journal_outage",
    "result_announcement",
    "data_review",
)
"""Kinds an institution keeps in its own files (``docs/scenario-format.md``)."""

HEADERS_RU = {
    "Код": "id",
    "Идентификатор": "id",
    "Фамилия": "last_name",
    "Имя": "first_name",
    "Отчество": "middle_name",
    "Роли": "roles",
    "Должность": "position",
    "Дата приёма на работу": "employed_from",
    "Родитель": "parent_id",
    "Ребёнок": "child_id",
    "Дата отказа": "declined_on",
    "Дата отзыва отказа": "withdrawn_on",
    "Дата выдачи": "given_on",
    "Человек": "person_id",
    "Дата выдачи кода": "issued_on",
    "Дата регистрации": "registered_on",
    "Правило": "rule_id",
    "Вид записи": "entity_kind",
    "Запись": "entity_id",
    "Номер документа": "document_number",
    "Дата документа": "document_date",
    "Кто утвердил": "approved_by",
    "Примечание": "note",
    "Начало": "starts_at",
    "Окончание": "ends_at",
    "Группа": "group_id",
    "Предмет": "subject_id",
    "Работа": "work_name",
    "Дата работы": "work_date",
    "Дата объявления результатов": "announced_on",
    "Дата проверки": "reviewed_on",
    "Проверил": "reviewer_id",
}


@dataclass
class MappedTable:
    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One Russian sentence per row left out: where and what."""
    skipped_ids: set[str] = field(default_factory=set)
    """Ids of rows left out: what the store knew of them must be kept, not taken as removed."""


def _field_name(header: str) -> str:
    return HEADERS_RU.get(header, header)


def map_rows(
    kind: str,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    deployment: str,
    where: str,
) -> MappedTable:
    """Validate each row as a canonical ``kind`` record; empty cells are absent values."""
    if kind not in LOCAL_KINDS:
        raise ValueError(f"вид «{kind}» не ведётся в собственных файлах организации")
    model = record_type(kind)
    fields = set(model.model_fields) - {"source"}
    out = MappedTable()
    for line, raw in rows:
        values: dict[str, object] = {}
        for header, text in raw.items():
            name = _field_name(header)
            if name == "id" or name not in fields or text == "":
                continue
            values[name] = _split(text) if name == "roles" else text
        external_id = next((raw[h] for h in raw if _field_name(h) == "id" and raw[h]), None)
        if not external_id:
            out.problems.append(
                f"{where}, строка {line}: нет идентификатора записи (столбец «Код» или id)"
            )
            continue
        values["source"] = SourceRef(
            platform=Platform.LOCAL, deployment=deployment, external_id=external_id
        )
        try:
            out.records.append(model.model_validate(values))
        except ValidationError as exc:
            first = exc.errors()[0]
            column = ".".join(str(p) for p in first["loc"]) or "?"
            out.problems.append(
                f"{where}, строка {line}, поле «{column}»: {_reason(first['type'])}"
            )
            out.skipped_ids.add(external_id)
    return out


def _split(text: str) -> Sequence[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


_REASONS = {
    "missing": "значение обязательно",
    "date_from_datetime_parsing": "дата записана неверно (нужно ГГГГ-ММ-ДД)",
    "date_parsing": "дата записана неверно (нужно ГГГГ-ММ-ДД)",
    "datetime_parsing": "дата и время записаны неверно",
    "timezone_aware": "у даты и времени нет часового пояса",
    "enum": "недопустимое значение",
    "bool_parsing": "нужно да/нет (true/false)",
}


def _reason(error_type: str) -> str:
    return _REASONS.get(error_type, f"значение не подходит ({error_type})")
