"""Issue 12: a NetSchool student with an empty name no longer fails the whole run.

The screening between the mapper and the store leaves that person out with a Russian
sentence naming the record and the field, keeps what the store knew of them, and loads
everyone and everything else."""

from __future__ import annotations

from sqlalchemy import Engine

from canonical.people import Person
from emulators.netschool.server import start_emulator
from emulators.scenario.world import World
from local_store.history import records_as_of
from local_store.runs import RunStatus
from pipelines.netschool import sync_netschool
from tests.netschool.conftest import config_for
from tests.netschool.worlds import DEPUTY_PASSWORD, D, world_dict


def _people(engine: Engine) -> dict[str, Person]:
    return {
        r.source.external_id: r for r in records_as_of(engine, "person") if isinstance(r, Person)
    }


def test_a_nameless_student_is_left_out_and_the_rest_is_loaded(engine: Engine) -> None:
    data = world_dict()
    with start_emulator(World.from_dict(data), as_of=D) as good:
        first = sync_netschool(engine, config_for(good), DEPUTY_PASSWORD, full=True)
    assert first.status is RunStatus.SUCCEEDED, first.error
    before = _people(engine)

    table = data["tables"]["person"]
    columns = table["columns"]
    row = next(r for r in table["rows"] if "student" in str(r[columns.index("roles")]))
    for name in ("last_name", "first_name", "middle_name"):
        row[columns.index(name)] = ""
    with start_emulator(World.from_dict(data), as_of=D) as blank:
        second = sync_netschool(engine, config_for(blank), DEPUTY_PASSWORD, full=True)

    assert second.status is RunStatus.SUCCEEDED, second.error
    problems = [w for w in second.warnings if "фамилия не указана" in w]
    assert len(problems) == 1, second.warnings
    assert problems[0].startswith("NetSchool: люди, запись «") and "поле «фамилия»" in problems[0]
    assert "прежние сведения о ней сохранены" in problems[0]
    after = _people(engine)
    assert after.keys() == before.keys(), "nobody removed, nobody lost"
    assert all(p.last_name for p in after.values()), "no nameless person stored"
