"""Many scopes in one ingest: the same store as one scope at a time, in a few statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, select

from canonical import Mark, Platform, SourceRef
from local_store.hold import guarded_ingest
from local_store.ingest import IngestResult, Snapshot, ingest
from local_store.runs import start_run
from local_store.schema import entity, version_table

T0 = dt.datetime(2026, 9, 7, 14, 0, tzinfo=dt.UTC)


def mark(deployment: str, external_id: str, value: str = "5") -> Mark:
    return Mark(
        source=SourceRef(
            platform=Platform.NETSCHOOL, deployment=deployment, external_id=external_id
        ),
        student_id="st-1",
        subject_id="sub-1",
        lesson_id="l-1",
        date=dt.date(2026, 9, 7),
        value=value,
    )


def snap(deployment: str, scope: str, marks: dict[str, str]) -> Snapshot:
    records = [mark(deployment, key, value) for key, value in marks.items()]
    return Snapshot(f"{deployment}:{scope}", frozenset({"mark"}), records)


# Each pull: scope → {mark id: value}.  Pull 2 changes, removes, moves a mark to a scope
# the pull does not cover (no interaction: planned together) and brings one back; pull 3
# has a mark in two scopes and a mark moving between two scopes it covers, where each
# scope must see what the one before wrote.
PULLS: list[dict[str, dict[str, str]]] = [
    {
        "s1": {"m1": "5", "m2": "4", "m3": "3"},
        "s2": {"m4": "5", "m5": "4"},
        "s3": {"m6": "2"},
        "s4": {"m7": "5", "m8": "5"},
    },
    {
        "s1": {"m1": "4", "m2": "4"},
        "s2": {"m4": "5", "m5": "4", "m8": "5", "m9": "3"},
        "s3": {},
    },
    {
        "s1": {"m1": "4", "m2": "4", "m3": "5", "m10": "2"},
        "s2": {"m4": "5", "m5": "3", "m10": "2", "m9": "3"},
        "s3": {"m6": "2", "m8": "4"},
    },
]


def _state(engine: Engine, deployment: str) -> list[tuple[Any, ...]]:
    table = version_table("mark")
    prefix = len(deployment) + 1
    with engine.connect() as conn:
        versions = [
            tuple(r)
            for r in conn.execute(
                select(
                    table.c.external_id,
                    table.c.f_value,
                    table.c.first_seen_run_id,
                    table.c.last_seen_run_id,
                    table.c.prev_seen_run_id,
                    table.c.superseded_run_id,
                )
                .where(table.c.deployment == deployment)
                .order_by(table.c.id)
            )
        ]
        entities = [
            (r.external_id, r.scope[prefix:], r.first_seen_run_id, r.removed_run_id)
            for r in conn.execute(
                select(entity).where(entity.c.deployment == deployment).order_by(entity.c.id)
            )
        ]
    return versions + entities


def test_scopes_ingested_together_leave_the_store_as_one_at_a_time(engine: Engine) -> None:
    for pull in PULLS:
        run_id = start_run(engine, "netschool", deployment="d", observed_at=T0)
        together = ingest(engine, run_id, [snap("a", s, m) for s, m in pull.items()])
        apart = IngestResult()
        for scope, marks in pull.items():
            apart.merge(ingest(engine, run_id, snap("b", scope, marks)))
        assert together.as_dict() == apart.as_dict()
    assert _state(engine, "a") == _state(engine, "b")
    assert _state(engine, "a")[-1] == ("m10", "s2", 3, None), "a key in two scopes ends in the last"


def test_guarded_ingest_of_many_scopes_is_the_ingest(engine: Engine) -> None:
    for pull in PULLS[:2]:
        run_id = start_run(engine, "netschool", deployment="d", observed_at=T0)
        guarded = guarded_ingest(engine, run_id, [snap("a", s, m) for s, m in pull.items()])
        assert not guarded.held and guarded.result is not None
        plain = ingest(engine, run_id, [snap("b", s, m) for s, m in pull.items()])
        assert guarded.result.as_dict() == plain.as_dict()
    assert _state(engine, "a") == _state(engine, "b")


@contextmanager
def _statements(engine: Engine) -> Iterator[Callable[[], int]]:
    count = 0

    def listen(*_args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield lambda: count
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _pull(deployment: str, scopes: int, edit: bool) -> list[Snapshot]:
    return [
        snap(
            deployment,
            f"s{n}",
            {
                f"m{n}-{i}": "4" if edit and i == 0 else "5"
                for i in range(3)
                if not (edit and i == 1)
            },
        )
        for n in range(scopes)
    ]


def test_statements_do_not_grow_with_the_number_of_scopes(engine: Engine) -> None:
    """Ten times the scopes (each adding, then changing, removing, keeping) cost no more statements."""
    counts: dict[int, list[int]] = {}
    for scopes, deployment in ((4, "few"), (40, "many")):
        counts[scopes] = []
        for edit in (False, True):
            run_id = start_run(engine, "netschool", deployment=deployment, observed_at=T0)
            with _statements(engine) as used:
                result = guarded_ingest(engine, run_id, _pull(deployment, scopes, edit))
            assert not result.held and result.result is not None
            counts[scopes].append(used())
            last = result.result
        assert last.as_dict()["mark"] == {
            "added": 0,
            "changed": scopes,
            "removed": scopes,
            "unchanged": scopes,
        }
    assert counts[40] == counts[4]
