"""The one truth scorer finds the planted cases whatever ids the store knows.

The scenario is rewritten the way a platform would number it (persons as
``student:<hash>``, marks as ``task:<lesson>:<student>:<n>``, every reference
rewritten alike), replayed into the store and checked by the real policy
engine; the scorer then gets the ORIGINAL world and truth and must give, by
natural signatures, the table it gives on a store filled with the scenario's
own ids, where every pair is a case and its own record.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from canonical.base import Platform
from demo.replay import replay
from demo.truth import (
    Item,
    StoreRows,
    WorldRows,
    _levels,
    match_items,
    score_by_signature,
    signature,
    summary_rows,
)
from emulators.scenario.generate import build
from emulators.scenario.world import World
from local_store.engine import make_engine, migrate
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from local_store.violations import Finding, finish_check, record_findings, start_check
from policies.engine import run_check
from policies.profiles import load_profile

PROFILE = "tpt"


@pytest.fixture(scope="module")
def generated() -> tuple[dict[str, Any], dict[str, Any]]:
    g = build(PROFILE, 20, 1, 3)
    return g.scenario, g.truth


def _hash(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()[:10]


def platform_ids(scenario: dict[str, Any]) -> tuple[dict[str, Any], Callable[[str, str], str]]:
    """The scenario with every id as a platform would give it, and the old → new map."""
    tables = scenario["tables"]
    every_id: set[str] = set()
    for table in tables.values():
        ident = table["columns"].index("id")
        every_id.update(str(row[ident]) for row in table["rows"])

    def plain(old: str) -> str:
        return f"x{_hash(old)}"

    new: dict[tuple[str, str], str] = {}
    for kind, table in tables.items():
        cols = table["columns"]
        ident = cols.index("id")
        per_key: dict[str, int] = {}
        for row in table["rows"]:
            old = str(row[ident])
            if kind == "person":
                new[(kind, old)] = f"student:{_hash(old)}"
            elif kind == "mark":
                base = f"task:{plain(str(row[cols.index('lesson_id')]))}:" + (
                    plain(str(row[cols.index("student_id")]))
                )
                per_key[base] = per_key.get(base, 0) + 1
                new[(kind, old)] = f"{base}:{per_key[base]}"
            else:
                new[(kind, old)] = plain(old)
    by_id = {old: value for (kind, old), value in new.items() if kind == "person"}

    def ref(value: Any) -> Any:
        if not isinstance(value, str) or value not in every_id:
            return value
        return by_id.get(value, plain(value))

    def rename(kind: str, old: str) -> str:
        return new.get((kind, old), plain(old))

    out = copy.deepcopy(scenario)
    for kind, table in out["tables"].items():
        cols = table["columns"]
        for row in table["rows"]:
            for i, name in enumerate(cols):
                if name == "id":
                    row[i] = rename(kind, str(row[i]))
                elif name == "entity_id" and "entity_kind" in cols:
                    row[i] = rename(str(row[cols.index("entity_kind")]), str(row[i]))
                elif name.endswith("_id"):
                    row[i] = ref(row[i])
    ecols = {n: i for i, n in enumerate(out["edits"]["columns"])}
    for row in out["edits"]["rows"]:
        row[ecols["id"]] = rename(row[ecols["kind"]], str(row[ecols["id"]]))
        if str(row[ecols["field"]]).endswith("_id"):
            row[ecols["value"]] = ref(row[ecols["value"]])
    for view in out["views"]:
        view["id"] = rename(view["kind"], str(view["id"]))
        if str(view["field"]).endswith("_id"):
            view["value"] = ref(view["value"])
    return out, rename


def _moments(world: World, truth: dict[str, Any]) -> list[dt.datetime]:
    """A sync at every planted deadline (that decides it), one long before and one at the end."""
    deadlines = {
        dt.datetime.fromisoformat(c["deadline"])
        for c in truth["cases"] + truth["near_misses"]
        if c.get("deadline")
    }
    start = dt.datetime.fromisoformat(str(world.meta["starts_at"])) - dt.timedelta(days=200)
    end = dt.datetime.fromisoformat(str(world.meta["ends_at"]))
    return sorted(deadlines | {start, end})


def _checked(engine: Engine, world: World, truth: dict[str, Any]) -> None:
    replay(engine, world, _moments(world, truth))
    run_check(engine, load_profile(PROFILE))


def test_signatures_find_what_ids_find(
    engine: Engine, generated: tuple[dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    scenario, truth = generated
    world = World.from_dict(scenario)
    reference = make_engine(f"sqlite:///{tmp_path / 'by_id.db'}")
    migrate(reference)
    _checked(reference, world, truth)
    own_ids = score_by_signature(reference, world, truth)
    for rule_id, pairs in own_ids.pairs.items():
        for case_id, store_label in pairs:  # on the scenario's own ids: a case and its record
            assert store_label.rsplit("/", 1)[-1] == case_id, (rule_id, case_id, store_label)
    by_id = {s.rule_id: s for s in own_ids.scores}

    renamed, rename = platform_ids(scenario)
    _checked(engine, World.from_dict(renamed), truth)
    matching = score_by_signature(engine, World.from_dict(scenario), truth)

    scenario_ids = {str(c["entity_id"]) for c in truth["cases"]}
    assert matching.found, "the engine found nothing: the test would prove nothing"
    assert not any(i.label.rsplit("/", 1)[-1] in scenario_ids for i in matching.found)
    got = {s.rule_id: (s.expected, s.found, s.true_positive) for s in matching.scores}
    want = {r: (s.expected, s.found, s.true_positive) for r, s in by_id.items()}
    assert got == want
    assert sum(s.true_positive for s in matching.scores) >= 20
    kinds = {(c["rule_id"], str(c["entity_id"])): c["entity_kind"] for c in truth["cases"]}
    for rule_id, pairs in matching.pairs.items():
        for case_id, store_label in pairs:  # each case paired with its own renamed record
            assert store_label.endswith("/" + rename(kinds[(rule_id, case_id)], case_id))


def _ingest_final(engine: Engine, world: World, deployment: str) -> None:
    end = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # staff cards may come after the scenario
    state = world.state_as_of(end)
    snapshots = [
        Snapshot.of(f"poo:{deployment}:{kind}", state.to_records(kind, Platform.POO, deployment))
        for kind in world.kinds()
        if state.kind(kind)
    ]
    run = start_run(engine, "poo", deployment=deployment, job="test", observed_at=end)
    result = ingest(engine, run, snapshots)
    finish_run(engine, run, RunStatus.SUCCEEDED, counts=result.as_dict())


def _record(engine: Engine, findings: list[Finding]) -> None:
    with engine.begin() as conn:
        check = start_check(
            conn,
            PROFILE,
            full=True,
            rules=None,
            since_run_id=None,
            upto_run_id=None,
            data_as_of=None,
        )
        by_rule: dict[str, list[Finding]] = {}
        for f in findings:
            by_rule.setdefault(f.rule_id, []).append(f)
        for rule_id, group in by_rule.items():
            record_findings(conn, check, PROFILE, rule_id, group, touched=None, data_as_of=None)
        finish_check(conn, check, {})


def test_missing_lowers_recall_and_extra_lowers_precision(
    engine: Engine, generated: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    scenario, truth = generated
    renamed, rename = platform_ids(scenario)
    deployment = "poo.example"
    _ingest_final(engine, World.from_dict(renamed), deployment)
    world = World.from_dict(scenario)

    kinds = {"mark", "absence", "lesson", "homework", "person", "movement_order"}
    cases = [
        c for c in truth["cases"] if c["entity_kind"] in kinds and c.get("expected") == "violated"
    ]
    assert len({c["rule_id"] for c in cases}) >= 5
    dropped = next(c for c in cases if c["entity_kind"] == "mark")
    extra = next(
        n
        for n in truth["near_misses"]
        if n["entity_kind"] == "absence"
        and (n["rule_id"], n["entity_id"])
        not in {(c["rule_id"], c["entity_id"]) for c in truth["cases"]}
    )
    findings = [
        Finding(
            c["rule_id"],
            c["entity_kind"],
            rename(c["entity_kind"], str(c["entity_id"])),
            "possibly_violated" if c is extra else "violated",
            deployment=deployment,
        )
        for c in [*cases, extra]
        if c is not dropped
    ]
    _record(engine, findings)

    matching = score_by_signature(engine, world, truth)
    assert matching.extra_possibly() == {extra["rule_id"]: 1}
    extra_label = f"{deployment}/{rename('absence', str(extra['entity_id']))}"
    assert matching.near_misses_flagged == {extra["rule_id"]: [(extra["entity_id"], extra_label)]}
    scores = {s.rule_id: s for s in matching.scores}
    for rule_id in {c["rule_id"] for c in cases}:
        s = scores[rule_id]
        if rule_id == dropped["rule_id"]:
            assert s.recall < 1.0
            assert str(dropped["entity_id"]) in s.missed
        elif rule_id != extra["rule_id"]:
            planted = {str(c["entity_id"]) for c in cases if c["rule_id"] == rule_id}
            assert s.true_positive == len(planted), rule_id
            approved = [  # cases expecting an approved exception: not planted here
                str(c["entity_id"])
                for c in truth["cases"]
                if c["rule_id"] == rule_id and c.get("expected") == "approved"
            ]
            assert s.precision == 1.0 and s.missed == sorted(approved), rule_id
    bad = scores[extra["rule_id"]]
    assert bad.precision < 1.0
    assert bad.extra == [extra_label]
    row = next(r for r in summary_rows(matching) if r["rule_id"] == extra["rule_id"])
    assert row["extra_possibly"] == 1 and row["near_misses_flagged"] == 1
    assert row["found"] == row["true_positive"] + 1


class Rows:
    """A side given as plain dicts (the scorer's signatures are pure over lookups)."""

    def __init__(self, rows: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.rows = rows

    def row(self, kind: str, ref: str | None) -> dict[str, Any] | None:
        return None if ref is None else self.rows.get((kind, ref))


def _side(prefix: str, *, starts_at: str | None, birth: str | None) -> Rows:
    return Rows(
        {
            ("person", f"{prefix}p"): {
                "last_name": "Петров" if prefix == "a" else "ПЕТРОВ ",
                "first_name": "Артём" if prefix == "a" else "артем",
                "middle_name": "Ильич",
                "birth_date": birth,
            },
            ("group", f"{prefix}g"): {"name": "ТМ-21" if prefix == "a" else "тм - 21"},
            ("subject", f"{prefix}s"): {"name": "Физика"},
            ("lesson", f"{prefix}l"): {
                "group_id": f"{prefix}g",
                "subject_id": f"{prefix}s",
                "date": "2024-12-16" if prefix == "a" else dt.date(2024, 12, 16),
                "starts_at": starts_at,
                "number": 2,
            },
            ("absence", f"{prefix}a"): {
                "student_id": f"{prefix}p",
                "lesson_id": f"{prefix}l",
                "date": "2024-12-16",
            },
        }
    )


def test_levels_loosen_only_when_a_side_lacks_a_field() -> None:
    world = _side("a", starts_at="08:30:00", birth="2008-05-01")
    same = _side("b", starts_at="08:30", birth="2008-05-01")
    no_clock = _side("b", starts_at=None, birth=None)
    for kind, ref in (("lesson", "l"), ("absence", "a"), ("person", "p")):
        assert signature(world, kind, f"a{ref}")[0] == signature(same, kind, f"b{ref}")[0]
        assert signature(world, kind, f"a{ref}")[0] != signature(no_clock, kind, f"b{ref}")[0]
        assert signature(world, kind, f"a{ref}")[-1] == signature(no_clock, kind, f"b{ref}")[-1]
    other_day = _side("b", starts_at="08:30", birth="2008-05-01")
    other_day.rows[("lesson", "bl")]["date"] = "2024-12-17"
    assert signature(world, "lesson", "al")[-1] != signature(other_day, "lesson", "bl")[-1]


def test_multiset_matching_counts_equal_signatures_twice() -> None:
    key = _levels(("mark", "петров", "физика", "2024-12-16"))
    other = _levels(("mark", "иванов", "физика", "2024-12-16"))
    expected = [Item("r", "m1", key), Item("r", "m2", key), Item("r", "m3", other)]
    found = [Item("r", "x/1", key), Item("r", "x/2", other), Item("r", "x/3", other)]
    pairs = match_items(expected, found)
    assert sorted(pairs["r"]) == [("m1", "x/1"), ("m3", "x/2")]
    assert expected[1].matched is None and found[2].matched is None
    approved = [Item("q", "m9", key, state="approved")]
    assert match_items(approved, [Item("q", "x/9", key)]) == {}


def test_world_rows_keep_last_values_of_deleted_records(
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    scenario, _ = generated
    scenario = copy.deepcopy(scenario)
    table = scenario["tables"]["group"]
    gid = table["rows"][0][table["columns"].index("id")]
    end = scenario["ends_at"]
    scenario["edits"]["rows"] += [
        ["group", gid, end, "name", "Новое имя"],
        ["group", gid, end, "__deleted__", True],
    ]
    rows = WorldRows(World.from_dict(scenario))
    assert signature(rows, "group", gid)[0] == ("group", "новое имя")


def test_store_rows_follow_references_within_a_deployment(
    engine: Engine, generated: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    scenario, _ = generated
    renamed, rename = platform_ids(scenario)
    _ingest_final(engine, World.from_dict(renamed), "one")
    _ingest_final(engine, World.from_dict(scenario), "two")
    table = scenario["tables"]["mark"]
    mid = str(table["rows"][0][table["columns"].index("id")])
    world_sig = signature(WorldRows(World.from_dict(scenario)), "mark", mid)
    assert world_sig[0] is not None
    assert signature(StoreRows(engine, "one"), "mark", rename("mark", mid)) == world_sig
    assert signature(StoreRows(engine, "two"), "mark", mid) == world_sig
    assert signature(StoreRows(engine, "one"), "mark", mid)[-1] is None


def _lagging(engine: Engine, at: list[dt.datetime], *, pulls: list[dt.datetime]) -> list[int]:
    """Registry mismatches of student «J1» found at ``at[0]`` and gone at ``at[-1]``, our push
    for J1 accepted at ``at[0]``, the registry pulled at ``pulls``; the ids healed_by_push keeps."""
    from canonical.base import SourceRef
    from canonical.requests import RegistryFeedback, RegistryResult
    from demo.truth import REGISTRY_PULL_JOB, healed_by_push
    from local_store.violations import list_violations

    for moment in pulls:
        run = start_run(
            engine, "contingent", deployment="reg", job=REGISTRY_PULL_JOB, observed_at=moment
        )
        finish_run(engine, run, RunStatus.SUCCEEDED)
    run = start_run(
        engine, "contingent", deployment="reg", job="contingent.feedback", observed_at=at[0]
    )
    feedback = RegistryFeedback(
        source=SourceRef(platform=Platform.CONTINGENT, deployment="reg", external_id="fb1"),
        message_id="m1",
        student_id="J1",
        result=RegistryResult.ACCEPTED,
        received_at=at[0],
    )
    ingest(engine, run, [Snapshot.of("contingent:reg:feedback", [feedback])])
    finish_run(engine, run, RunStatus.SUCCEEDED)
    for moment, findings in (
        (at[0], [Finding("contingent.registry.match", "person", "J1", "violated", deployment="j")]),
        (at[-1], []),
    ):
        with engine.begin() as conn:
            check = start_check(
                conn,
                PROFILE,
                full=True,
                rules=None,
                since_run_id=None,
                upto_run_id=None,
                data_as_of=moment,
            )
            record_findings(
                conn,
                check,
                PROFILE,
                "contingent.registry.match",
                findings,
                touched=None,
                data_as_of=moment,
            )
            finish_check(conn, check, {})
    violations = list_violations(engine, rule_id="contingent.registry.match")
    assert [v["status"] for v in violations] == ["resolved"]
    return sorted(healed_by_push(engine, violations))


DAY1 = dt.datetime(2024, 12, 12, 17, tzinfo=dt.UTC)


def test_a_push_heals_what_the_next_registry_pull_resolves(engine: Engine) -> None:
    nxt = DAY1 + dt.timedelta(days=1)
    assert len(_lagging(engine, [DAY1, nxt], pulls=[DAY1, nxt])) == 1


def test_a_mismatch_that_outlived_a_pull_after_the_push_was_not_healed_by_it(
    engine: Engine,
) -> None:
    """The registry accepted the push on day 1, the pull of day 2 still showed the mismatch;
    it went on day 5 for another reason: found, but not healed by us (not counted)."""
    days = [DAY1 + dt.timedelta(days=n) for n in range(5)]
    assert _lagging(engine, [DAY1, days[-1]], pulls=days) == []
