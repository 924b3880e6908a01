"""Checks of single values at the canonical boundary: what no record may carry.

Pure and shared by every mapping: a СНИЛС must have its shape and checksum,
text must hold no control characters (a NUL in a surname breaks every
export), and no field is longer than a person could have typed.  A bad value
is *kept out* (an optional field becomes empty) and reported with its field
and reason, so the rest of the record is kept; a required field that is bad
makes the record unusable, and the caller reports that instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from canonical.base import Record
from canonical.normalize import SnilsError, validate_snils
from canonical.wording import kind_title

SNILS_FIELDS = frozenset({"snils", "applicant_snils", "child_snils"})
NAME_FIELDS = frozenset(
    {
        "last_name",
        "first_name",
        "middle_name",
        "applicant_last_name",
        "applicant_first_name",
        "applicant_middle_name",
        "child_last_name",
        "child_first_name",
        "child_middle_name",
    }
)
SURNAME_FIELDS = frozenset({"last_name"})
"""A person is named by the surname at least: a record without one cannot be told apart."""
MAX_NAME = 100
MAX_TEXT = 10_000
"""A homework text or a note: longer is a pasted file, not something a teacher typed."""


@dataclass(frozen=True)
class Rejected:
    field: str
    reason: str
    """Russian."""
    required: bool


def _control(text: str) -> str | None:
    if text.isprintable():
        # No character of Cc, Cs, Co or Cn is printable: one C-level scan clears almost every
        # value, and only text with line breaks or odd spaces is walked character by character.
        return None
    for ch in text:
        if ch in "\t\r\n":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            return f"U+{ord(ch):04X}"
    return None


def check_value(field: str, value: Any) -> tuple[Any, str | None]:
    """The value as it may be stored (СНИЛС formatted), or the Russian reason it may not."""
    if not isinstance(value, str):
        return value, None
    bad = _control(value)
    if bad is not None:
        return None, f"недопустимый служебный символ {bad}"
    if field in SNILS_FIELDS:
        if not value.strip():
            return None, None
        try:
            return validate_snils(value), None
        except SnilsError as exc:
            return None, str(exc)
    if field in SURNAME_FIELDS and not value.strip():
        return None, "фамилия не указана (пустое ФИО)"
    limit = MAX_NAME if field in NAME_FIELDS else MAX_TEXT
    if len(value) > limit:
        return None, f"значение длиннее {limit} символов ({len(value)})"
    if field in NAME_FIELDS and "\n" in value:
        return None, "перевод строки в имени"
    return value, None


def clean_values(
    model: type[Record], values: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Rejected]]:
    """``values`` with every bad value left out, and what was left out and why."""
    out: dict[str, Any] = {}
    rejected: list[Rejected] = []
    fields = model.model_fields
    for name, value in values.items():
        cleaned, reason = check_value(name, value)
        if reason is None:
            out[name] = cleaned
            continue
        info = fields.get(name)
        required = bool(info is not None and info.is_required())
        rejected.append(Rejected(name, reason, required))
    return out, rejected


_FULLY_CHECKED = SNILS_FIELDS | NAME_FIELDS | SURNAME_FIELDS
"""Fields whose values always go through :func:`check_value`; any other text passes when it is
printable and no longer than :data:`MAX_TEXT`, which is all ``check_value`` asks of it."""


def _reasons(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each text value's field and the reason :func:`check_value` gives against it.

    Same verdicts as calling ``check_value`` on every text, but most texts (a topic, an id, a
    mark) are cleared inline: screening a pull meets a few hundred thousand of them, and a
    call per value was most of the time.
    """
    bad: list[tuple[str, str]] = []
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        if name not in _FULLY_CHECKED and len(value) <= MAX_TEXT and value.isprintable():
            continue
        reason = check_value(name, value)[1]
        if reason is not None:
            bad.append((name, reason))
    return bad


@dataclass
class Screened:
    """What a mapper's records look like once every bad value is kept out."""

    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One Russian sentence per value kept out: which record (kind and id), which field, why."""
    unread: set[tuple[str, str, str]] = field(default_factory=set)
    """Source keys of records left out whole (a required value was bad): what the store knew of
    them stays, for an unreadable record is not a record the source deleted."""


def screen(records: Iterable[Record]) -> Screened:
    """Check every text value of every record; fix what can be left empty, drop what cannot.

    Only records with a bad value are rebuilt, so a clean pull costs one scan of its strings.
    """
    out = Screened()
    for record in records:
        bad = _reasons(record.__dict__)
        if not bad:
            out.records.append(record)
            continue
        fields = type(record).model_fields
        what = f"{kind_title(record.kind)}, запись {_shown_id(record.source.external_id)}"
        required = [name for name, _ in bad if fields[name].is_required()]
        for name, reason in bad:
            fate = (
                "запись не загружена, прежние сведения о ней сохранены"
                if required
                else "значение не сохранено, остальные сведения записи загружены"
            )
            out.problems.append(f"{what}, поле «{field_title(name)}»: {reason}; {fate}")
        if required:
            out.unread.add(record.source.key())
            continue
        update = {name: fields[name].get_default(call_default_factory=True) for name, _ in bad}
        out.records.append(record.model_copy(update=update))
    return out


FIELD_TITLES = {
    "last_name": "фамилия",
    "first_name": "имя",
    "middle_name": "отчество",
    "snils": "СНИЛС",
    "applicant_last_name": "фамилия заявителя",
    "applicant_first_name": "имя заявителя",
    "applicant_middle_name": "отчество заявителя",
    "applicant_snils": "СНИЛС заявителя",
    "child_last_name": "фамилия ребёнка",
    "child_first_name": "имя ребёнка",
    "child_middle_name": "отчество ребёнка",
    "child_snils": "СНИЛС ребёнка",
    "name": "название",
    "short_name": "краткое название",
    "topic": "тема урока",
    "text": "текст",
    "comment": "комментарий",
    "email": "адрес электронной почты",
    "phone": "телефон",
    "login": "логин",
    "position": "должность",
    "document_series": "серия документа",
    "document_number": "номер документа",
    "number": "номер",
    "value": "значение",
    "room": "кабинет",
}
"""Field names as the report names them (the record's own name where none is listed)."""


def field_title(name: str) -> str:
    """A canonical field's name in Russian, for the screening's report."""
    return FIELD_TITLES.get(name, name)


def _shown_id(external_id: str) -> str:
    """The record's id as a user may see it: its bad characters escaped, its length capped."""
    shown = "".join(ch if _control(ch) is None else f"U+{ord(ch):04X}" for ch in external_id)
    return f"«{shown[:60]}…»" if len(shown) > 60 else f"«{shown}»"
