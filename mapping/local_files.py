"""The institution's own tables → canonical records (``Platform.LOCAL``).

Columns are named either by the canonical field (``given_on``) or by the
Russian header a secretary would write («Дата выдачи»).  A row whose value
cannot be read is reported with its line and column and left out, and its id
is remembered so the store keeps what it knew of it.  What would make a whole
import wrong (an unknown column, a row without an id, an id twice) refuses the
table: a row we cannot name cannot be kept, only silently removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from canonical.base import Platform, Record, SourceRef
from canonical.registry import record_type
from canonical.validate import clean_values

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


class LocalTableError(ValueError):
    """A table that must not be imported at all; the message is Russian and says where."""


ID_FIELD = "id"


@dataclass
class MappedTable:
    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One Russian sentence per row left out: where and what."""
    skipped_ids: set[str] = field(default_factory=set)
    """Ids of rows left out: what the store knew of them must be kept, not taken as removed."""


def _field_name(header: str) -> str:
    return HEADERS_RU.get(header, header)


def check_header(kind: str, header: Sequence[str], *, where: str) -> int:
    """The 0-based position of the id column; refuses unknown columns (with their number)."""
    if kind not in LOCAL_KINDS:
        raise LocalTableError(f"вид «{kind}» не ведётся в собственных файлах организации")
    fields = set(record_type(kind).model_fields) - {"source"}
    id_column: int | None = None
    for column, header_name in enumerate(header, start=1):
        name = _field_name(header_name)
        if name == ID_FIELD:
            if id_column is not None:
                raise LocalTableError(
                    f"{where}, строка 1, столбец {column}: второй столбец идентификатора "
                    f"«{header_name}»"
                )
            id_column = column - 1
        elif name not in fields:
            known = ", ".join(sorted(h for h, f in HEADERS_RU.items() if f in fields or f == "id"))
            raise LocalTableError(
                f"{where}, строка 1, столбец {column}: неизвестный столбец «{header_name}»; "
                f"для вида «{kind}» ожидаются: {known}"
            )
    if id_column is None:
        raise LocalTableError(
            f"{where}, строка 1: нет столбца идентификатора записи («Код» или id)"
        )
    return id_column


def map_rows(
    kind: str,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    deployment: str,
    where: str,
    header: Sequence[str] | None = None,
) -> MappedTable:
    """Validate each row as a canonical ``kind`` record; empty cells are absent values.

    ``header`` (the table's columns in order) is checked first; without it the
    columns of the first row are taken.
    """
    rows = list(rows)
    if header is None:
        header = list(rows[0][1]) if rows else []
    id_column = check_header(kind, header, where=where)
    id_header = header[id_column]
    model = record_type(kind)
    out = MappedTable()
    first_line: dict[str, int] = {}
    for line, raw in rows:
        external_id = raw.get(id_header, "")
        if not external_id:
            raise LocalTableError(
                f"{where}, строка {line}, столбец {id_column + 1} «{id_header}»: "
                "нет идентификатора записи; без него строку нельзя ни сохранить, ни сопоставить "
                "с хранилищем"
            )
        if external_id in first_line:
            raise LocalTableError(
                f"{where}, строка {line}, столбец {id_column + 1} «{id_header}»: "
                f"идентификатор «{external_id}» уже встречался в строке {first_line[external_id]}"
            )
        first_line[external_id] = line
        values: dict[str, object] = {}
        for header_name, text in raw.items():
            name = _field_name(header_name)
            if name == ID_FIELD or text == "":
                continue
            values[name] = _split(text) if name == "roles" else text
        values, rejected = clean_values(model, values)
        for bad in rejected:
            column = _column(header, (bad.field,))
            if bad.required:
                out.problems.append(
                    f"{where}, строка {line}, {column}: {bad.reason}; строка не загружена"
                )
            else:
                out.problems.append(
                    f"{where}, строка {line}, {column}: {bad.reason}; значение не сохранено, "
                    "остальные сведения строки загружены"
                )
        if any(bad.required for bad in rejected):
            out.skipped_ids.add(external_id)
            continue
        values["source"] = SourceRef(
            platform=Platform.LOCAL, deployment=deployment, external_id=external_id
        )
        try:
            out.records.append(model.model_validate(values))
        except ValidationError as exc:
            first = exc.errors()[0]
            out.problems.append(
                f"{where}, строка {line}, {_column(header, first['loc'])}: {_reason(first['type'])}"
            )
            out.skipped_ids.add(external_id)
    return out


def _column(header: Sequence[str], loc: tuple[int | str, ...]) -> str:
    """«столбец N «Дата выдачи»» for the field pydantic complained about."""
    name = str(loc[0]) if loc else "?"
    for column, header_name in enumerate(header, start=1):
        if _field_name(header_name) == name:
            return f"столбец {column} «{header_name}» (поле {name})"
    return f"поле «{name}» (обязательный столбец отсутствует)"


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
