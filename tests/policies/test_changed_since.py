"""An incremental check may skip a whole-store rule only when nothing it reads changed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from policies.engine import build_calendar
from policies.profiles import load_profile
from policies.rule import Context
from tests.policies.store import rec, sync

UTC = dt.UTC


def _context(engine: Engine, since: int | None, upto: int) -> tuple[bool, bool, int]:
    """(lessons changed since ``since``, persons changed, keys ``nothing_touched`` selects)."""
    profile = load_profile("tpt")
    with engine.connect() as conn:
        ctx = Context(
            conn=conn,
            profile=profile,
            calendar=build_calendar(conn, profile),
            since_run_id=since,
            upto_run_id=upto,
            data_as_of=dt.datetime(2026, 10, 9, tzinfo=UTC),
            first_day=dt.date(2026, 9, 1),
            last_day=dt.date(2026, 12, 1),
        )
        none = len(conn.execute(ctx.nothing_touched()).all())
        return ctx.changed_since("lesson"), ctx.changed_since("person"), none


def test_seen_again_is_no_change_but_new_edited_and_removed_are(engine: Engine) -> None:
    lesson = rec("lesson", "L0", group_id="G1", subject_id="S", date=dt.date(2026, 10, 5))
    first = sync(engine, dt.datetime(2026, 10, 5, 18, tzinfo=UTC), {"journal": [lesson]})
    assert _context(engine, None, first) == (True, True, 0)  # a full check reads everything

    again = sync(engine, dt.datetime(2026, 10, 6, 18, tzinfo=UTC), {"journal": [lesson]})
    assert _context(engine, first, again) == (False, False, 0)

    edited = lesson.model_copy(update={"topic": "Дроби"})
    third = sync(engine, dt.datetime(2026, 10, 7, 18, tzinfo=UTC), {"journal": [edited]})
    assert _context(engine, again, third) == (True, False, 0)

    gone = sync(engine, dt.datetime(2026, 10, 8, 18, tzinfo=UTC), {"journal": []}, kinds=["lesson"])
    assert _context(engine, third, gone) == (True, False, 0)
