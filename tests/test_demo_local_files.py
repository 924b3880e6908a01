"""The institution's own tables attach to the journal the demo pulled (ПОО and NetSchool)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from demo.run import DemoOptions, run_demo
from local_store.engine import open_store
from local_store.schema import version_table


def _ids(engine: object, kind: str, platform: str) -> set[str]:
    table = version_table(kind)
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return {
            str(r)
            for r in conn.execute(
                select(table.c.external_id).where(table.c.platform == platform)
            ).scalars()
        }


def _refs(engine: object, kind: str, column: str) -> set[str]:
    table = version_table(kind)
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return {
            str(r)
            for r in conn.execute(
                select(table.c[column]).where(
                    table.c.platform == "local", table.c[column].is_not(None)
                )
            ).scalars()
        }


@pytest.mark.parametrize(("profile", "platform"), [("tpt", "poo"), ("talmenka", "netschool")])
def test_local_files_name_the_journals_records(tmp_path: Path, profile: str, platform: str) -> None:
    result = run_demo(
        DemoOptions(profile=profile, students=30, weeks=1, seed=3, out=tmp_path / "demo")
    )
    assert result.platform == platform
    engine = open_store(str(result.store))
    try:
        groups = _ids(engine, "group", platform)
        people = _ids(engine, "person", platform)
        marks = _ids(engine, "mark", platform)
        reviewed = _refs(engine, "data_review", "f_group_id")
        children = _refs(engine, "diary_opt_out", "f_child_id") | _refs(
            engine, "paper_report", "f_child_id"
        )
        reviewers = _refs(engine, "data_review", "f_reviewer_id")
        approved = _refs(engine, "approval", "f_entity_id")
    finally:
        engine.dispose()
    assert groups and people and marks
    assert children, "the scenario has diary opt-outs with paper reports"
    assert children <= people, "opt-outs and paper reports name the journal's students"
    assert reviewed <= groups, "data reviews name the journal's groups"
    assert reviewers <= people, "reviewers are the journal's staff"
    assert approved <= marks, "approvals name the journal's marks"
    if profile == "tpt":
        assert reviewed, "the college's data reviews are imported"
