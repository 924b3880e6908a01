"""The value check between a mapper and the store, shared by every journal pipeline.

Mappers turn wire data into canonical records; ``canonical.validate.screen`` then keeps out
every value no record may carry (a bad СНИЛС, a control character, an over-long text).  The
snapshot built here carries the keys of records left out whole, so the store keeps what it
knew of them instead of taking them as removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from canonical.base import Record
from canonical.validate import screen
from local_store.ingest import Snapshot


def checked_snapshot(
    scope: str,
    records: Sequence[Record],
    kinds: Iterable[str],
    warnings: list[str],
    where: str,
) -> Snapshot:
    """A snapshot of ``records`` with bad values kept out; each one reported in ``warnings``."""
    screened = screen(records)
    warnings.extend(f"{where}: {problem}" for problem in screened.problems)
    return Snapshot.of(scope, screened.records, kinds, screened.unread)
