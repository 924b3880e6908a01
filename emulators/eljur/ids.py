"""Scenario ids to the numeric ids ЭлЖур shows (as strings on the wire).

A keyed hash, so a pull as of D and as of D+3 see the same ids without a
table.  Five bytes keep collisions out of reach for a school-sized world.
"""

from __future__ import annotations

import hashlib

_OFFSET = 100_000


def ej_id(namespace: str, scenario_id: str) -> int:
    """The numeric id of ``scenario_id`` within ``namespace`` (a record kind)."""
    digest = hashlib.blake2b(f"eljur:{namespace}:{scenario_id}".encode(), digest_size=5).digest()
    return _OFFSET + int.from_bytes(digest, "big")


ROMAN = ("I", "II", "III", "IV", "V", "VI")


def period_short_name(kind: str, number: int) -> str:
    """ЭлЖур's short period name: «I»…«IV» for terms, «Год» for the year."""
    if kind == "year":
        return "Год"
    return ROMAN[number - 1] if 0 < number <= len(ROMAN) else str(number)


def absence_value(code: str) -> str:
    """ЭлЖур shows an absence as a mark: «оп» for being late, «н» for everything else."""
    return "оп" if code.upper() == "ОП" else "н"
