"""Scenario ids to the integer ids NetSchool uses.

NetSchool identifies everything by integers; a scenario by strings.  The map
is a keyed hash, so it is the same in every run and for every moment of the
world (a pull as of D and as of D+3 see the same ids) without keeping a table.
Six bytes keep collisions out of reach for a million records while staying
well inside JavaScript's safe integers, as real clients expect.
"""

from __future__ import annotations

import hashlib

_OFFSET = 10_000


def ns_id(namespace: str, scenario_id: str) -> int:
    """The integer id of ``scenario_id`` within ``namespace`` (a record kind or a derived key)."""
    digest = hashlib.blake2b(f"{namespace}:{scenario_id}".encode(), digest_size=6).digest()
    return _OFFSET + int.from_bytes(digest, "big")
