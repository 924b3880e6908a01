"""state_as_of respects creation moments, edits, deletions, views, kinds and where."""

from __future__ import annotations

import datetime as dt
from typing import Any

from canonical.base import Platform
from emulators.scenario.world import World, WorldState, parse_moment
from tests.scenario.conftest import generated

SECOND = dt.timedelta(seconds=1)


def _get(state: WorldState, kind: str, record_id: str) -> dict[str, Any]:
    found = state.get(kind, record_id)
    assert found is not None, (kind, record_id)
    return found


def _world(profile: str = "tpt") -> World:
    return World.from_dict(generated(profile).scenario)


def test_a_late_mark_appears_exactly_when_it_was_made() -> None:
    world = _world()
    truth = generated("tpt").truth
    late = next(c for c in truth["cases"] if c["rule_id"] == "marks.deadline")
    made = parse_moment(late["made_at"])
    before = world.state_as_of(made - SECOND, kinds=["mark"])
    after = world.state_as_of(made, kinds=["mark"])
    assert late["entity_id"] not in before.kind("mark")
    assert late["entity_id"] in after.kind("mark")
    assert _get(after, "mark", late["entity_id"])["created_at"] == made


def test_topic_arrives_with_its_edit_and_corrections_apply_in_order() -> None:
    world = _world("mazanka")
    edits = world.edits_by_record()
    lesson_id, history = next((k[1], v) for k, v in edits.items() if k[0] == "lesson")
    at, name, value = history[0]
    assert name == "topic"
    before = world.state_as_of(at - SECOND, kinds=["lesson"])
    assert _get(before, "lesson", lesson_id)["topic"] is None
    assert _get(world.state_as_of(at, kinds=["lesson"]), "lesson", lesson_id)["topic"] == value
    changed = next(
        (k[1], v) for k, v in edits.items() if k[0] == "mark" and any(n == "value" for _, n, _ in v)
    )
    mark_id, changes = changed
    at, _, new = next(c for c in changes if c[1] == "value")
    old = world.state_as_of(at - SECOND, kinds=["mark"]).get("mark", mark_id)
    now = world.state_as_of(at, kinds=["mark"]).get("mark", mark_id)
    assert old is not None and now is not None
    assert old["value"] != new and now["value"] == new


def test_deletion_views_and_filters() -> None:
    moment = "2024-11-05T10:00:00+07:00"
    data = {
        "format": "sverka-scenario",
        "version": 1,
        "profile": "tpt",
        "timezone": "Asia/Tomsk",
        "tables": {
            "subject": {
                "columns": ["id", "created_at", "name"],
                "rows": [["sb1", moment, "Физика"], ["sb2", "2024-11-06T10:00:00+07:00", "Химия"]],
            }
        },
        "edits": {
            "columns": ["kind", "id", "at", "field", "value"],
            "rows": [
                ["subject", "sb1", "2024-11-07T09:00:00+07:00", "name", "Химия"],
                ["subject", "sb1", "2024-11-08T09:00:00+07:00", "__deleted__", None],
            ],
        },
        "views": [
            {
                "platform": "poo",
                "kind": "subject",
                "id": "sb2",
                "field": "__absent__",
                "value": None,
            }
        ],
    }
    world = World.from_dict(data)
    t = parse_moment
    assert set(world.state_as_of(t("2024-11-05T12:00:00+07:00")).kind("subject")) == {"sb1"}
    chem = world.state_as_of(t("2024-11-07T09:00:00+07:00"), where={"name": "Химия"})
    assert set(chem.kind("subject")) == {"sb1", "sb2"}  # sb1 became Химия by an edit
    assert set(
        world.state_as_of(t("2024-11-06T12:00:00+07:00"), where={"name": "Химия"}).kind("subject")
    ) == {"sb2"}
    assert set(world.state_as_of(t("2024-11-09T00:00:00+07:00")).kind("subject")) == {"sb2"}
    assert world.state_as_of(t("2024-11-09T00:00:00+07:00"), platform="poo").kind("subject") == {}
    # the same instant written in UTC is the same moment
    assert set(world.state_as_of(t("2024-11-05T03:00:00+00:00")).kind("subject")) == {"sb1"}
    # appended rows are noticed
    world.tables["subject"].rows.append(["sb3", t("2024-11-05T09:00:00+07:00"), "Биология"])
    assert "sb3" in world.state_as_of(t("2024-11-05T09:00:00+07:00")).kind("subject")


def test_where_equals_filtering_the_full_state() -> None:
    world = _world()
    end = parse_moment(world.meta["ends_at"])
    full = world.state_as_of(end, kinds=["mark", "absence"])
    group = next(iter(full.kind("mark").values()))["group_id"]
    some = world.state_as_of(end, kinds=["mark"], where={"group_id": group}).kind("mark")
    assert some == {k: v for k, v in full.kind("mark").items() if v["group_id"] == group}
    valid = world.state_as_of(end, kinds=["absence"], where={"code": {"Б", "УП"}}).kind("absence")
    assert valid == {k: v for k, v in full.kind("absence").items() if v["code"] in ("Б", "УП")}


def test_registry_view_lags_the_order() -> None:
    world = _world("talmenka")
    truth = generated("talmenka").truth
    lag = next(d for d in truth["discrepancies"] if d["kind"] == "registry_lags_order")
    end = parse_moment(world.meta["ends_at"])
    journal = world.state_as_of(end, platform="netschool")
    registry = world.state_as_of(end, platform="contingent")
    assert lag["entity_id"] in journal.kind("movement_order")
    assert lag["entity_id"] not in registry.kind("movement_order")
    enrolment = lag["details"]["enrolment_id"]
    assert _get(journal, "enrolment", enrolment)["status"] != "studying"
    assert _get(registry, "enrolment", enrolment)["status"] == "studying"


def test_every_kind_validates_as_canonical_records() -> None:
    world = _world("kpgt")
    state = world.state_as_of(parse_moment(world.meta["ends_at"]))
    for kind in world.kinds():
        records = state.to_records(kind, Platform.POO, "poo.edu-74.ru")
        assert len(records) == len(state.kind(kind))
