"""Pure normalisers shared by every mapping, the store and the emulators.

They live in ``canonical`` rather than ``mapping`` because the store
(identity resolution) and the emulators (the registry bot's checks) need the
same rules and may import only ``canonical``.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

_SPACES = re.compile(r"\s+")
_HYPHEN_SPACES = re.compile(r"\s*-\s*")
_SNILS_DIGITS = re.compile(r"\d")
_SNILS_SHAPE = re.compile(r"^\s*\d{3}[-\s]?\d{3}[-\s]?\d{3}[-\s]?\d{2}\s*$")

SNILS_UNCHECKED_MAX = 1_001_998
"""Numbers up to 001-001-998 were issued before the checksum existed and are not checked."""


def normalize_name_part(value: str) -> str:
    """One part of a name: trimmed, single spaces, capitalised per word and hyphen part.

    «  иванова-петрова » → «Иванова-Петрова»; ё is kept (see ``name_key``).
    """
    value = _SPACES.sub(" ", value.strip())
    value = _HYPHEN_SPACES.sub("-", value)
    return "-".join(
        " ".join(word[:1].upper() + word[1:].lower() for word in chunk.split(" "))
        for chunk in value.split("-")
    )


def name_key(last_name: str, first_name: str, middle_name: str = "") -> str:
    """A matching key for a full name: case-folded, ё → е, spaces and hyphens unified.

    Two spellings of one person («Алёна Сергеевна» and «АЛЕНА  СЕРГЕЕВНА») give one key.
    """
    parts = (normalize_name_part(p) for p in (last_name, first_name, middle_name))
    joined = " ".join(p for p in parts if p)
    return joined.casefold().replace("ё", "е")


def split_full_name(full_name: str) -> tuple[str, str, str]:
    """«Иванов Иван Иванович» → (last, first, middle); a missing middle name is ``""``."""
    parts = _SPACES.sub(" ", full_name.strip()).split(" ")
    if not parts or not parts[0]:
        raise ValueError("пустое ФИО")
    last = normalize_name_part(parts[0])
    first = normalize_name_part(parts[1]) if len(parts) > 1 else ""
    middle = normalize_name_part(" ".join(parts[2:])) if len(parts) > 2 else ""
    return last, first, middle


def name_parts(full_name: str | None) -> tuple[str, str, str]:
    """ФИО split into its parts; a blank one gives empty parts rather than failing the mapper.

    The screening after every mapper (``pipelines.screening``) leaves a person without a surname
    out with a Russian report and keeps what the store knew of them, so one blank record on a
    platform never stops the whole institution's sync."""
    try:
        return split_full_name(full_name or "")
    except ValueError:
        return "", "", ""


class SnilsError(ValueError):
    """A СНИЛС that is not eleven digits or whose checksum is wrong."""


def snils_checksum(number: int) -> int:
    """The control number for the nine-digit ``number`` (Пенсионный фонд's algorithm)."""
    digits = f"{number:09d}"
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    rest = total % 101
    return 0 if rest == 100 else rest


def snils_digits(value: str) -> str:
    """The eleven digits of a СНИЛС written as ``XXX-XXX-XXX YY``, ``XXXXXXXXXXX`` or similar."""
    if not _SNILS_SHAPE.match(value):
        raise SnilsError("СНИЛС должен состоять из 11 цифр (формат XXX-XXX-XXX YY)")
    return "".join(_SNILS_DIGITS.findall(value))


def is_valid_snils(value: str) -> bool:
    try:
        validate_snils(value)
    except SnilsError:
        return False
    return True


def validate_snils(value: str) -> str:
    """Check a СНИЛС and return it formatted; raise :class:`SnilsError` with a Russian reason."""
    digits = snils_digits(value)
    number = int(digits[:9])
    control = int(digits[9:])
    if number <= SNILS_UNCHECKED_MAX:
        return format_snils(digits)
    if snils_checksum(number) != control:
        raise SnilsError("неверная контрольная сумма СНИЛС")
    return format_snils(digits)


def format_snils(value: str) -> str:
    """``12345678901`` → ``123-456-789 01`` (no checksum check)."""
    digits = snils_digits(value)
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def make_snils(number: int) -> str:
    """The formatted СНИЛС for a nine-digit number, with its correct checksum (for generators)."""
    if not 0 <= number <= 999_999_999:
        raise ValueError("номер СНИЛС — девять цифр")
    return format_snils(f"{number:09d}{snils_checksum(number):02d}")


def local_datetime(moment: dt.datetime, timezone: str) -> dt.datetime:
    """An aware moment seen in the institution's zone; a naive one is taken as already local."""
    zone = ZoneInfo(timezone)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def at_local(day: dt.date, time: dt.time, timezone: str) -> dt.datetime:
    """The aware moment of ``time`` on ``day`` in the institution's zone."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(timezone))


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    """The calendar date of ``moment`` in the institution's zone."""
    return local_datetime(moment, timezone).date()


def to_utc(moment: dt.datetime, timezone: str | None = None) -> dt.datetime:
    """An aware UTC moment; a naive input is local to ``timezone`` (required then)."""
    if moment.tzinfo is None:
        if timezone is None:
            raise ValueError("naive datetime without a time zone")
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(dt.UTC)
