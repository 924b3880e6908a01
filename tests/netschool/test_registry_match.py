"""The registry match on a NetSchool school through the real path.

NetSchool's class lists become enrolments (no dates: the platform does not give them); the
school's own file adds the birth dates NetSchool keeps no record of; a registry pull brings
the registry's view.  Then the journal's students link with the registry's, and only the
real discrepancies are flagged: a student the registry keeps in another class, and one the
registry does not have.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from canonical.base import Platform, Record, SourceRef
from canonical.contingent import Enrolment
from canonical.registry import record_type
from emulators.netschool.ids import ns_id
from emulators.netschool.server import RunningEmulator
from emulators.scenario.world import World
from local_store.history import records_as_of
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from local_store.violations import list_violations
from pipelines.local_files import import_local_file
from pipelines.netschool import sync_netschool
from policies.engine import run_check
from policies.profiles import load_profile
from reports.data import load_journal, pick_source
from reports.marks import student_groups
from tests.netschool.conftest import config_for
from tests.netschool.worlds import DEPLOYMENT, DEPUTY_PASSWORD, D


def _registry(kind: str, external_id: str, **fields: Any) -> Record:
    return record_type(kind).model_validate(
        {
            **fields,
            "source": SourceRef(
                platform=Platform.CONTINGENT, deployment="registry", external_id=external_id
            ),
        }
    )


def _studying(world: World) -> dict[str, tuple[dict[str, Any], str]]:
    """Scenario student id → (person row, class name) for everyone studying on D."""
    state = world.state_as_of(D)
    names = {gid: str(g["name"]) for gid, g in state.kind("group").items()}
    people = state.kind("person")
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for e in state.kind("enrolment").values():
        if e.get("status") not in (None, "studying") or e.get("ends_on"):
            continue
        out[str(e["student_id"])] = (people[str(e["student_id"])], names[str(e["group_id"])])
    return out


def test_netschool_students_link_with_the_registry(
    engine: Engine, emulator: RunningEmulator, world: World, tmp_path: Path
) -> None:
    emulator.set_clock(D)
    outcome = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    studying = _studying(world)
    enrolments = [e for e in records_as_of(engine, "enrolment") if isinstance(e, Enrolment)]
    # the class lists became enrolments, one per student studying now, with no guessed date
    assert sorted(e.student_id for e in enrolments) == sorted(
        str(ns_id("person", s)) for s in studying
    )
    assert all(e.starts_on is None for e in enrolments)
    # the reports read such enrolments: each student in the class the list shows
    data = load_journal(engine, pick_source(engine))
    by_class = student_groups(data)
    assert by_class == {e.student_id: e.group_id for e in enrolments}
    assert sorted(data.students_of(enrolments[0].group_id, D.date())) == sorted(
        e.student_id for e in enrolments if e.group_id == enrolments[0].group_id
    )

    # the school's own file: birth dates (the test world has none) under the journal's ids
    born = {sid: dt.date(2014, 1, 1) + dt.timedelta(days=n) for n, sid in enumerate(studying)}
    own = tmp_path / "person.csv"
    lines = ["id;last_name;first_name;middle_name;roles;birth_date"]
    for sid, (p, _) in sorted(studying.items()):
        lines.append(
            f"{ns_id('person', sid)};{p['last_name']};{p['first_name']};"
            f"{p.get('middle_name') or ''};student;{born[sid].isoformat()}"
        )
    own.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_local_file(engine, own, "person", deployment=f"local:{DEPLOYMENT}", observed_at=D)

    # the registry: everyone as the journal has them, except one in another class and one absent
    ids = sorted(studying)
    moved, absent = ids[0], ids[1]
    records: list[Record] = [
        _registry("group", "RG-other", name="11Я", group_kind="class"),
    ]
    classes = {name for _, name in studying.values()}
    records += [_registry("group", f"RG-{n}", name=n, group_kind="class") for n in classes]
    for sid, (p, name) in studying.items():
        if sid == absent:
            continue
        records.append(
            _registry(
                "person",
                f"R-{sid}",
                last_name=p["last_name"],
                first_name=p["first_name"],
                birth_date=born[sid],
                roles=["student"],
            )
        )
        records.append(
            _registry(
                "enrolment",
                f"RE-{sid}",
                student_id=f"R-{sid}",
                group_id="RG-other" if sid == moved else f"RG-{name}",
                status="studying",
                starts_on=dt.date(2020, 9, 1),
            )
        )
    run_id = start_run(
        engine, "contingent", deployment="registry", scope="contingent:registry", observed_at=D
    )
    ingest(engine, run_id, [Snapshot.of("contingent:registry:view:org", records)])
    finish_run(engine, run_id, RunStatus.SUCCEEDED)

    run_check(engine, load_profile("talmenka"), rules=["contingent.registry.match"])
    found = {
        v["entity_key"]: v["evidence"]["differences"]
        for v in list_violations(engine, rule_id="contingent.registry.match")
    }
    assert set(found) == {str(ns_id("person", moved)), str(ns_id("person", absent))}, found
    assert set(found[str(ns_id("person", moved))]) == {"group"}
    assert "registry" in found[str(ns_id("person", absent))]
