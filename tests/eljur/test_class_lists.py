"""Who teaches a class's subjects, as an ЭлЖур pull stores it.

ЭлЖур gives no teacher ids: the teacher a class's lessons name becomes the
subject's teaching assignment, the class teacher's id where the name is theirs.
Its class lists carry no dates and keep students who left, so no enrolment is
made of them (``marks.density`` is «не проверяется» there).
"""

from __future__ import annotations

from sqlalchemy import Engine

from canonical import TeachingAssignment
from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.ids import ej_id
from emulators.eljur.school import teacher_label
from emulators.eljur.server import start_emulator
from emulators.scenario.world import World
from local_store.history import records_as_of
from local_store.runs import RunStatus
from pipelines.eljur import sync_eljur
from tests.eljur.conftest import account, evening
from tests.eljur.test_pull_equals_world import config_for


def test_teaching_assignments_come_from_the_pull(engine: Engine, mazanka: World) -> None:
    moment = evening(mazanka, 6)
    with start_emulator(mazanka, as_of=moment) as emu:
        outcome = sync_eljur(
            engine,
            config_for(emu, mazanka),
            DEFAULT_DEVKEY,
            str(account(mazanka, "deputy")["password"]),
            full=True,
        )
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error

    st = mazanka.state_as_of(moment, platform="eljur")
    groups = {sid: str(r["name"]) for sid, r in st.kind("group").items()}
    people = st.kind("person")
    assert records_as_of(engine, "enrolment") == []

    subjects = {sid: str(r["name"]) for sid, r in st.kind("subject").items()}
    curators = {
        teacher_label(people.get(str(r["curator_id"]))): str(ej_id("person", str(r["curator_id"])))
        for r in st.kind("group").values()
        if r.get("curator_id")
    }
    want: dict[tuple[str, str], str] = {}
    for r in sorted(st.kind("lesson").values(), key=lambda r: (str(r["date"]), r["number"])):
        label = teacher_label(people.get(str(r["teacher_id"])))
        want[(groups[str(r["group_id"])], subjects[str(r["subject_id"])])] = curators.get(
            label, f"teacher:{label}"
        )
    assignments = records_as_of(engine, "teaching_assignment")
    got = {
        (a.group_id, a.subject_id): a.teacher_id
        for a in assignments
        if isinstance(a, TeachingAssignment)
    }
    assert len(got) == len(assignments)
    assert got == want
    assert any(not t.startswith("teacher:") for t in got.values()), "a class teacher's own id"
