"""netschoolapi 11.0.5 and the mobile surface read a *generated* school's diaries exactly.

Every profile whose journal runs on NetSchool is generated, served by the
emulator at the scenario's end, and read by the independent client (its own
venv, ``.venv-nsa``) as a student and as a parent of two children; the mobile
``classmeetings``/``assignments`` are read by our own httpx client with a
bearer token.  What they read must equal, lesson by lesson, the scenario's
lesson marks and homework for those weeks (the expectation is computed from
the scenario's rows, not from the emulator's re-cut).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulators.netschool.ids import ns_id
from emulators.netschool.school import HOMEWORK_TYPE_NAME, UNTYPED_TYPE_NAME
from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.profiles import PROFILES
from emulators.scenario.world import World, WorldState
from tests.netschool.test_nsa import NSA_PYTHON, SCRIPT, _ensure_venv
from tests.netschool.test_surfaces import _login

WEEKS = 3
NETSCHOOL_PROFILES = sorted(p.id for p in PROFILES.values() if p.journal_platform == "netschool")


@pytest.fixture(scope="module", params=NETSCHOOL_PROFILES)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[World, RunningEmulator]]:
    world = World.from_dict(generate(request.param, 80, WEEKS, 11))
    with start_emulator(world, as_of=_end(world)) as emu:
        yield world, emu


def _end(world: World) -> dt.datetime:
    return dt.datetime.fromisoformat(str(world.meta["ends_at"]))


def _monday(world: World) -> dt.date:
    start = dt.datetime.fromisoformat(str(world.meta["starts_at"])).date()
    return start - dt.timedelta(days=start.weekday())


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


class Expected:
    """The scenario's lesson marks and homework of one student, by lesson day and subject."""

    def __init__(self, st: WorldState, student: str, first: dt.date, last: dt.date) -> None:
        classes = {
            str(e["group_id"])
            for e in st.kind("enrolment").values()
            if str(e["student_id"]) == student
        }
        subgroups = {
            str(m["subgroup_id"])
            for m in st.kind("subgroup_member").values()
            if str(m["student_id"]) == student
        }
        lessons = {
            sid: row
            for sid, row in st.kind("lesson").items()
            if str(row["group_id"]) in classes
            and (not row.get("subgroup_id") or str(row["subgroup_id"]) in subgroups)
            and first <= _day(row["date"]) <= last
            and _day(row["date"]).weekday() < 6
        }
        subject = {sid: str(r["name"]) for sid, r in st.kind("subject").items()}
        kind = {sid: str(r["name"]) for sid, r in st.kind("work_kind").items()}

        def where(lesson: dict[str, Any]) -> tuple[str, str]:
            return _day(lesson["date"]).isoformat(), subject[str(lesson["subject_id"])]

        self.lessons = Counter(where(r) for r in lessons.values())
        self.marks: Counter[tuple[Any, ...]] = Counter()
        for m in st.kind("mark").values():
            lesson = lessons.get(str(m.get("lesson_id")))
            if lesson is None or str(m["student_id"]) != student:
                continue
            wk = m.get("work_kind_id")
            self.marks[
                (*where(lesson), kind[str(wk)] if wk else UNTYPED_TYPE_NAME, int(m["value"]))
            ] += 1
        self.homework: Counter[tuple[Any, ...]] = Counter()
        for h in st.kind("homework").values():
            lesson = lessons.get(str(h["lesson_id"]))
            if lesson is None:
                continue
            due = _day(h["due_date"]) if h.get("due_date") else _day(lesson["date"])
            self.homework[(*where(lesson), str(h["text"]), due.isoformat())] += 1


def _pick(world: World) -> tuple[dict[str, Any], dict[str, Any], WorldState]:
    """A student who studies in a marked class all along, and a parent of two such children."""
    st = world.state_as_of(_end(world), platform="netschool")
    marked = {str(m["student_id"]) for m in st.kind("mark").values() if m.get("lesson_id")}
    stayed = {
        str(e["student_id"])
        for e in st.kind("enrolment").values()
        if e.get("status") in (None, "studying") and not e.get("ends_on")
    }
    ok = marked & stayed
    student = next(a for a in world.accounts_for("student") if a["person_id"] in ok)
    parent = next(
        a
        for a in world.accounts_for("parent")
        if len(a.get("children", [])) == 2 and set(a["children"]) <= ok
    )
    return student, parent, st


def _check(world: World, st: WorldState, sid: str, read: dict[str, Any]) -> None:
    first = _monday(world)
    want = Expected(st, sid, first, first + dt.timedelta(weeks=WEEKS) - dt.timedelta(days=1))
    got_lessons = Counter((day, subject) for day, _, subject in read["lessons"])
    assert got_lessons == want.lessons
    marks = Counter(
        (day, subject, kind, mark)
        for day, subject, kind, _, mark, _ in read["assignments"]
        if mark is not None
    )
    homework = Counter(
        (day, subject, text, due)
        for day, subject, kind, text, _, due in read["assignments"]
        if kind == HOMEWORK_TYPE_NAME and text
    )
    assert sum(want.marks.values()) > 10 and sum(want.homework.values()) > 5
    assert marks == want.marks
    assert homework == want.homework
    assert all(a[4] is not None or a[2] == HOMEWORK_TYPE_NAME for a in read["assignments"])
    assert {tuple(o) for o in read["overdue"]} <= {(h[2], h[3]) for h in want.homework}


def _run_client(emu: RunningEmulator, account: dict[str, Any], world: World) -> dict[str, Any]:
    _ensure_venv()
    run = subprocess.run(
        [
            str(NSA_PYTHON),
            str(SCRIPT),
            emu.url,
            str(account["login"]),
            str(account["password"]),
            str(account["school_id"]),
            _monday(world).isoformat(),
            str(WEEKS),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def test_netschoolapi_reads_the_scenarios_marks_and_homework(
    served: tuple[World, RunningEmulator],
) -> None:
    world, emu = served
    student, parent, st = _pick(world)
    seen = _run_client(emu, student, world)
    assert seen["student_id"] == ns_id("person", student["person_id"])
    assert list(seen["read"]) == [str(seen["student_id"])]
    _check(world, st, student["person_id"], seen["read"][str(seen["student_id"])])

    seen = _run_client(emu, parent, world)
    children = {str(ns_id("person", c)): c for c in parent["children"]}
    assert set(seen["read"]) == set(children), "a parent reads both children, no one else"
    for pid, sid in children.items():
        _check(world, st, sid, seen["read"][pid])


def _mobile_read(emu: RunningEmulator, account: dict[str, Any], world: World) -> dict[str, Any]:
    """Our own client of the mobile API: pincode → bearer token → classmeetings → assignments."""
    first = _monday(world)
    last = first + dt.timedelta(weeks=WEEKS) - dt.timedelta(days=1)
    with httpx.Client(base_url=emu.url + "/webapi/", timeout=30) as http:
        _login(http, emu, str(account["login"]), str(account["password"]))
        students = [s["studentId"] for s in http.get("student/diary/init").json()["students"]]
        code = http.get("mysettings/mobile/pincode").json()["userCode"]
    with httpx.Client(base_url=emu.url, timeout=30) as mobile:
        token = mobile.post(
            "/connect/token",
            data={
                "client_id": "parent-mobile",
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": str(code),
            },
        ).json()
        mobile.headers["authorization"] = f"Bearer {token['access_token']}"
        out: dict[str, Any] = {}
        for student in students:
            meetings = mobile.get(
                "/api/mobile/classmeetings",
                params={
                    "studentIds": student,
                    "startDate": first.isoformat(),
                    "endDate": last.isoformat(),
                },
            ).json()
            meetings = [m for m in meetings if dt.date.fromisoformat(m["day"][:10]).weekday() < 6]
            by_id = {m["classmeetingId"]: m for m in meetings}
            assigns = mobile.get(
                "/api/mobile/assignments",
                params=[("studentId", student), *(("classmeetingId", c) for c in sorted(by_id))],
            ).json()
            shown = {a for m in meetings for a in m["assignmentId"]}
            assert {a["assignmentId"] for a in assigns} == shown
            assert all(
                by_id[a["classmeetingId"]]["resultsExists"]
                for a in assigns
                if a["result"] is not None
            )
            out[str(student)] = {
                "lessons": [[m["day"][:10], m["order"], m["subjectName"]] for m in meetings],
                "assignments": [
                    [
                        a["assignmentDate"][:10],
                        a["subjectName"],
                        a["assignmentTypeName"],
                        a["assignmentName"],
                        None if a["result"] is None else int(a["result"]),
                        a["dueDate"][:10],
                    ]
                    for a in assigns
                ],
                "overdue": [],
            }
    return out


def test_mobile_surface_reads_the_scenarios_marks_and_homework(
    served: tuple[World, RunningEmulator],
) -> None:
    world, emu = served
    student, parent, st = _pick(world)
    read = _mobile_read(emu, student, world)
    assert list(read) == [str(ns_id("person", student["person_id"]))]
    _check(world, st, student["person_id"], next(iter(read.values())))
    read = _mobile_read(emu, parent, world)
    children = {str(ns_id("person", c)): c for c in parent["children"]}
    assert set(read) == set(children)
    for pid, sid in children.items():
        _check(world, st, sid, read[pid])
