"""Who is in a class and who teaches its subjects, as an ЭлЖур pull stores them.

ЭлЖур gives neither order dates nor teacher ids: the class list (``getrules``
relations) becomes enrolments from the school year's start, and the teacher a
class's lessons name becomes the subject's teaching assignment, the class
teacher's id where the name is theirs.  ``marks.density`` needs both.
"""

from __future__ import annotations

from sqlalchemy import Engine

from canonical import Enrolment, TeachingAssignment
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


def test_class_lists_and_teaching_assignments_come_from_the_pull(
    engine: Engine, mazanka: World
) -> None:
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
    year_start = min(str(p["starts_on"])[:10] for p in st.kind("period").values())
    last_class: dict[str, str] = {}
    for r in sorted(st.kind("enrolment").values(), key=lambda r: str(r["starts_on"])):
        last_class[str(ej_id("person", str(r["student_id"])))] = groups[str(r["group_id"])]
    enrolments = [e for e in records_as_of(engine, "enrolment") if isinstance(e, Enrolment)]
    assert {(e.student_id, e.group_id) for e in enrolments} == set(last_class.items())
    assert {e.starts_on.isoformat() if e.starts_on else None for e in enrolments} == {year_start}

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
