"""Evidence of when an entry was made (policy-catalog.md §8).

Most platforms do not say when an entry was made; the store knows the sync
that first saw it (T) and the sync before that which covered the same scope
without seeing it (T0).  The entry was therefore made in (T0, T].  Against a
deadline D it is *violated* when T0 ≥ D, *possibly violated* when T0 < D < T
(or there is no earlier observation), and *met* when T ≤ D.  A platform's own
entry timestamp, where there is one, wins.  The same test is written twice:
once as a pure function (for findings computed outside SQL and for tests) and
once as a SQL ``CASE`` so rules stay set-based.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, case, literal
from sqlalchemy.sql.selectable import FromClause

from local_store.schema import sync_run
from policies.sqlfunc import epoch


class Verdict(StrEnum):
    VIOLATED = "violated"
    POSSIBLY = "possibly_violated"
    MET = "met"


def classify(
    deadline: dt.datetime,
    seen_at: dt.datetime,
    prev_seen_at: dt.datetime | None,
    source_at: dt.datetime | None = None,
    *,
    judge_baseline: bool = True,
) -> Verdict:
    """The §8 verdict for one entry first seen at ``seen_at`` after ``prev_seen_at``.

    ``prev_seen_at`` ``None`` means the entry was there the first time the store
    looked at its scope (the baseline): with ``judge_baseline`` the interval is
    open below and a passed deadline is *possibly violated*; without it such an
    entry predates the store's watch and is not judged (reported as met).
    """
    if source_at is not None:
        return Verdict.VIOLATED if source_at > deadline else Verdict.MET
    if prev_seen_at is None and not judge_baseline:
        return Verdict.MET
    if seen_at <= deadline:
        return Verdict.MET
    if prev_seen_at is not None and prev_seen_at >= deadline:
        return Verdict.VIOLATED
    return Verdict.POSSIBLY


def verdict_sql(
    deadline: ColumnElement[Any],
    seen: ColumnElement[Any],
    prev_seen: ColumnElement[Any],
    source: ColumnElement[Any] | None = None,
    *,
    judge_baseline: bool = True,
) -> ColumnElement[str]:
    """:func:`classify` as a SQL expression over epoch seconds (NULL ``prev_seen``: no earlier run)."""
    whens: list[tuple[ColumnElement[bool], Any]] = []
    if source is not None:
        whens.append((source.is_not(None) & (source > deadline), literal(Verdict.VIOLATED.value)))
        whens.append((source.is_not(None), literal(Verdict.MET.value)))
    if not judge_baseline:
        whens.append((prev_seen.is_(None), literal(Verdict.MET.value)))
    whens.append((seen <= deadline, literal(Verdict.MET.value)))
    whens.append(
        (prev_seen.is_not(None) & (prev_seen >= deadline), literal(Verdict.VIOLATED.value))
    )
    return case(*whens, else_=literal(Verdict.POSSIBLY.value))


def join_run_times(
    query: Select[Any],
    first_run: ColumnElement[Any],
    prev_run: ColumnElement[Any],
    name: str = "ev",
) -> tuple[Select[Any], ColumnElement[int], ColumnElement[int], FromClause, FromClause]:
    """Join the two runs of an observation; return (query, T epoch, T0 epoch, run T, run T0)."""
    seen_run = sync_run.alias(f"{name}_t")
    prev_run_alias = sync_run.alias(f"{name}_t0")
    query = query.join(seen_run, seen_run.c.id == first_run).outerjoin(
        prev_run_alias, prev_run_alias.c.id == prev_run
    )
    return (
        query,
        epoch(seen_run.c.observed_at),
        epoch(prev_run_alias.c.observed_at),
        seen_run,
        prev_run_alias,
    )


def from_epoch(value: int | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(int(value), dt.UTC)


def to_epoch(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive moment")
    return int(moment.timestamp())
