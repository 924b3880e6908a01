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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from canonical.base import Record
from canonical.normalize import SnilsError, validate_snils

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
