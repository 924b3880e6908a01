"""The observing store: versions, first-seen runs, removals, atomicity, as-of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from canonical import Lesson, Mark, Platform, SourceRef
from local_store.engine import current_revision, head_revision
from local_store.history import count_as_of, records_as_of, versions_of
from local_store.ingest import IngestError, Snapshot, ingest
from local_store.runs import start_run
from local_store.schema import entity, run_scope, sync_run, version_table

T0 = dt.datetime(2026, 9, 7, 14, 0, tzinfo=dt.UTC)


def src(external_id: str) -> SourceRef:
    return SourceRef(platform=Platform.NETSCHOOL, deployment="test.local", external_id=external_id)


def mark(external_id: str, value: str = "5", **extra: object) -> Mark:
    return Mark(
        source=src(external_id),
        student_id="st-1",
        subject_id="sub-1",
        lesson_id="l-1",
        date=dt.date(2026, 9, 7),
        value=value,
        **extra,
    )


def run(engine: Engine, hours: int = 0) -> int:
    return start_run(
        engine, "netschool", deployment="test.local", observed_at=T0 + dt.timedelta(hours=hours)
    )


def test_migrations_reach_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision(engine) is not None


def test_revisions_read_without_alembic_agree_with_alembic(engine: Engine) -> None:
    """``current_revision``/``head_revision`` skip Alembic for speed; they must say what it says."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from local_store.engine import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert head_revision() == ",".join(sorted(heads))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert current_revision(engine) == ",".join(sorted(current))


def test_changed_record_has_two_versions_with_right_runs(engine: Engine) -> None:
    r1 = run(engine)
    ingest(engine, r1, Snapshot.of("journal:g1:w1", [mark("m1", "4"), mark("m2", "5")]))
    r2 = run(engine, 6)
    result = ingest(engine, r2, Snapshot.of("journal:g1:w1", [mark("m1", "3"), mark("m2", "5")]))

    assert result.as_dict()["mark"] == {"added": 0, "changed": 1, "removed": 0, "unchanged": 1}
    versions = versions_of(engine, "mark", "m1")
    assert [v["f_value"] for v in versions] == ["4", "3"]
    assert versions[0]["first_seen_run_id"] == r1
    assert versions[0]["superseded_run_id"] == r2
    assert versions[1]["first_seen_run_id"] == r2
    assert versions[1]["prev_seen_run_id"] == r1, (
        "T0 of the edit is the last run that saw the old value"
    )
    unchanged = versions_of(engine, "mark", "m2")
    assert len(unchanged) == 1 and unchanged[0]["last_seen_run_id"] == r2


def test_removed_record_is_marked_not_deleted(engine: Engine) -> None:
    r1 = run(engine)
    ingest(engine, r1, Snapshot.of("journal:g1:w1", [mark("m1"), mark("m2")]))
    r2 = run(engine, 1)
    result = ingest(engine, r2, Snapshot("journal:g1:w1", frozenset({"mark"}), [mark("m1")]))

    assert result.as_dict()["mark"]["removed"] == 1
    with engine.connect() as conn:
        removed = conn.execute(
            select(entity.c.removed_run_id).where(entity.c.external_id == "m2")
        ).scalar_one()
    assert removed == r2
    versions = versions_of(engine, "mark", "m2")
    assert len(versions) == 1 and versions[0]["superseded_run_id"] == r2
    assert {m.source.external_id for m in records_as_of(engine, "mark", r1)} == {"m1", "m2"}
    assert {m.source.external_id for m in records_as_of(engine, "mark", r2)} == {"m1"}


def test_new_record_gets_previous_run_of_its_scope(engine: Engine) -> None:
    r1 = run(engine)
    ingest(engine, r1, Snapshot("journal:g1:w1", frozenset({"mark"}), []))
    r_other = run(engine, 1)
    ingest(engine, r_other, Snapshot.of("journal:g2:w1", [mark("x")]))
    r2 = run(engine, 2)
    ingest(engine, r2, Snapshot.of("journal:g1:w1", [mark("m1")]))
    version = versions_of(engine, "mark", "m1")[0]
    assert version["first_seen_run_id"] == r2
    assert version["prev_seen_run_id"] == r1, "the previous run of the same scope, not any run"


def test_reappearing_record_gets_a_new_version(engine: Engine) -> None:
    r1 = run(engine)
    ingest(engine, r1, Snapshot.of("s", [mark("m1")]))
    r2 = run(engine, 1)
    ingest(engine, r2, Snapshot("s", frozenset({"mark"}), []))
    r3 = run(engine, 2)
    result = ingest(engine, r3, Snapshot.of("s", [mark("m1")]))
    assert result.as_dict()["mark"]["added"] == 1
    assert [v["first_seen_run_id"] for v in versions_of(engine, "mark", "m1")] == [r1, r3]
    assert count_as_of(engine, ["mark"], r2) == {"mark": 0}
    assert count_as_of(engine, ["mark"], r3) == {"mark": 1}


def _table_counts(engine: Engine) -> dict[str, int]:
    tables = [sync_run, run_scope, entity, version_table("mark"), version_table("lesson")]
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables
        }


def _values(engine: Engine) -> list[tuple[str, str | None, int | None]]:
    table = version_table("mark")
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(table.c.external_id, table.c.f_value, table.c.superseded_run_id).order_by(
                    table.c.id
                )
            )
        ]


def test_error_mid_batch_leaves_store_unchanged(engine: Engine) -> None:
    r1 = run(engine)
    ingest(engine, r1, Snapshot.of("s1", [mark("m1", "4"), mark("m2")]))
    before_counts, before_values = _table_counts(engine), _values(engine)

    r2 = run(engine, 1)
    good = Snapshot.of("s1", [mark("m1", "2")])  # a change and a removal, applied first
    lesson = Lesson(source=src("l1"), group_id="g", subject_id="s", date=dt.date(2026, 9, 7))
    bad = Snapshot.of("s2", [lesson, lesson])  # duplicate key: fails after `good` was written
    with pytest.raises(IngestError):
        ingest(engine, r2, [good, bad])

    after_counts = _table_counts(engine)
    after_counts["sync_run"] -= 1  # the run row itself was opened before the ingest
    assert after_counts == before_counts
    assert _values(engine) == before_values


def test_database_error_mid_batch_rolls_back(engine: Engine) -> None:
    r1 = run(engine)
    ingest(engine, r1, Snapshot.of("s1", [mark("m1")]))
    before_counts, before_values = _table_counts(engine), _values(engine)
    good = Snapshot.of("s1", [mark("m1", "3"), mark("m9")])
    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        ingest(engine, 999_999, [good])  # no such run: a foreign-key violation in the database
    assert _table_counts(engine) == before_counts
    assert _values(engine) == before_values


def test_record_round_trips_through_the_store(engine: Engine) -> None:
    entered = dt.datetime(2026, 9, 7, 19, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    original = mark("m1", "5", weight=2.0, entered_at=entered, comment="Контрольная работа № 2")
    r1 = run(engine)
    ingest(engine, r1, Snapshot.of("s", [original]))
    (loaded,) = records_as_of(engine, "mark", r1)
    assert loaded == original
    assert loaded.content_hash() == original.content_hash()
