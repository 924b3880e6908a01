"""The emulator speaks the documented protocol: login, cookies, errors, formats, permissions, views."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulators.poo import RunningEmulator
from tests.poo.world_builder import ADMIN, NO_GRADEBOOK, PARENT, STUDENT, D

WIRE_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$")
HHMM = re.compile(r"^\d{2}:\d{2}$")


def b64sha(password: str) -> str:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest()).decode()


def login(client: httpx.Client, account: tuple[str, str], remember: bool = True) -> httpx.Response:
    return client.post(
        "/services/security/login",
        json={"login": account[0], "password": b64sha(account[1]), "isRemember": remember},
    )


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url) as client:
        yield client


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def test_login_sets_chunked_auth_cookie_and_tenants_body(http: httpx.Client) -> None:
    answer = login(http, ADMIN)
    assert answer.status_code == 200
    names = {c.split("=", 1)[0] for c in answer.headers.get_list("set-cookie")}
    assert {"UID", ".AspNetCore.Cookies", ".AspNetCore.CookiesC1", ".AspNetCore.CookiesC2"} <= names
    assert http.cookies[".AspNetCore.Cookies"] == "chunks-2"
    body = answer.json()
    tenant = body["tenants"][body["tenantName"]]
    assert body["tenantName"] == "spo_1" and {200, 507, 509, 700} <= set(
        tenant["employeeRole"]["permissions"]
    )
    assert tenant["settings"]["organization"]["name"]
    # Keeping only the first chunk is not enough: the session is unknown.
    partial = httpx.Client(base_url=str(http.base_url))
    partial.cookies.set(".AspNetCore.Cookies", "chunks-2")
    partial.cookies.set(".AspNetCore.CookiesC1", http.cookies[".AspNetCore.CookiesC1"])
    assert partial.get("/services/people/departments/all").status_code == 401
    assert http.get("/services/people/departments/all").status_code == 200


def test_session_cookie_without_remember(http: httpx.Client) -> None:
    answer = login(http, ADMIN, remember=False)
    names = {c.split("=", 1)[0] for c in answer.headers.get_list("set-cookie")}
    assert ".AspNetCore.Session" in names and ".AspNetCore.Cookies" not in names
    assert http.get("/services/security/account-settings").json()["persons"][0]["login"] == ADMIN[0]


def test_wrong_password_and_bad_request_shapes(http: httpx.Client) -> None:
    wrong = http.post(
        "/services/security/login", json={"login": ADMIN[0], "password": b64sha("нет")}
    )
    assert wrong.status_code == 401
    assert wrong.json()["responseStatus"]["message"] == "Неверный логин или пароль."
    plain = http.post("/services/security/login", json={"login": ADMIN[0], "password": ADMIN[1]})
    assert plain.status_code == 401, "the password must be sent hashed"
    missing = http.post("/services/security/login", json={"login": ""})
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"login", "password"}


def test_logout_ends_the_session(http: httpx.Client) -> None:
    login(http, ADMIN)
    assert http.delete("/services/security/logout").status_code == 200
    after = http.get("/services/people/departments/all")
    assert after.status_code == 401 and after.json()["responseStatus"]["message"]
    login(http, ADMIN)
    assert http.post("/services/security/logout").status_code == 200


def test_tenants_and_switch(http: httpx.Client) -> None:
    login(http, ADMIN)
    assert list(http.get("/services/security/get-tenants").json()) == ["spo_1"]
    assert http.put("/services/security/switch-tenant", json={"name": "spo_1"}).status_code == 200
    bad = http.put("/services/security/switch-tenant", json={"name": "spo_9"})
    assert bad.status_code == 400 and "name" in bad.json()["errors"]


def test_permissions_enforced(http: httpx.Client) -> None:
    login(http, NO_GRADEBOOK)
    denied = http.get("/services/journal/gradebook/student-groups")
    assert denied.status_code == 403
    assert denied.json()["responseStatus"]["message"] == "Недостаточно прав для операции."
    assert http.get("/services/reports/curator/group-attestation/2000").status_code == 403
    assert http.get("/services/people/students", params={"pageSize": 5}).status_code == 200
    assert http.get("/services/people/students/999999").status_code == 404


def test_formats_of_the_gradebook(http: httpx.Client) -> None:
    login(http, ADMIN)
    groups = http.get("/services/journal/gradebook/student-groups").json()
    entries = http.get(f"/services/journal/gradebook/{groups[0]['id']}/entries").json()
    entry = entries[0]
    assert entry["termType"] == "Semester" and WIRE_DT.match(entry["startDate"])
    subject = entry["scheduleSubjects"][0]
    page = http.get(f"/services/journal/gradebook/{entry['id']}/subjects/{subject['id']}").json()
    datetimes = [v for k, v in _walk(page) if k in ("date", "startDate") and v]
    assert datetimes and all(WIRE_DT.match(v) for v in datetimes)
    lessons = page["lessons"]
    assert all(HHMM.match(lesson["startTime"]) for lesson in lessons)
    types = {t["type"] for lesson in lessons for t in lesson["tasks"]}
    assert "Home" in types and types <= {
        "Lesson", "Control", "Independent", "Laboratory", "Slice", "Home", "Review", "Test",
        "Report", "Colloquium", "SportStandarts", "PracticalWork",
    }  # fmt: skip
    words = {
        m["value"] for lesson in lessons for ms in lesson["markSets"].values()
        for m in ms["marks"].values()
    }  # fmt: skip
    assert words and words <= {"Two", "Three", "Four", "Five", "Success", "Fail"}
    local_ids = {s["id"] for s in page["students"]}
    assert all(int(k) in local_ids for lesson in lessons for k in lesson["markSets"])
    people = {
        s["id"]
        for s in http.get("/services/people/students", params={"pageSize": 100}).json()["students"]
    }
    assert not local_ids & people, "gradebook-local ids are not people ids"
    assert page["workingProgram"]["topics"][0]["lessons"][0]["type"] in ("Lecture", "Practice")


def test_students_paging_and_card(http: httpx.Client) -> None:
    login(http, ADMIN)
    first = http.get(
        "/services/people/students",
        params={"isActive": "true", "orderBy": "+fullName", "pageIndex": 0, "pageSize": 3},
    ).json()
    second = http.get(
        "/services/people/students",
        params={"isActive": "true", "orderBy": "+fullName", "pageIndex": 1, "pageSize": 3},
    ).json()
    assert first["studentsCount"] == second["studentsCount"] == 10
    assert len(first["students"]) == 3
    assert not {s["id"] for s in first["students"]} & {s["id"] for s in second["students"]}
    card = http.get(f"/services/people/students/{first['students'][0]['id']}").json()
    assert re.match(r"^\d{3}-\d{3}-\d{3} \d{2}$", card["snils"])
    assert card["passport"]["number"] and card["parents"][0]["relationshipType"] in (
        "Mother", "Father", "Guardian",
    )  # fmt: skip
    assert card["decrees"][0]["type"] == "Enroll" and WIRE_DT.match(card["decrees"][0]["date"])


def test_student_and_parent_views(http: httpx.Client, emulator: RunningEmulator) -> None:
    body = login(http, STUDENT).json()
    role = body["tenants"]["spo_1"]["studentRole"]
    assert role["id"] == role["students"][0]["id"]
    sid = role["id"]
    days = http.get(f"/services/students/{sid}/lessons/2026-09-01/2026-09-07").json()
    assert len(days) == 7 and days[5]["isHoliday"] is True, "Sunday"
    assert days[4]["isHoliday"] is False, "a six-day week: Saturday is a school day"
    lesson = days[0]["lessons"][0]
    assert set(lesson["timetable"]["classroom"]) == {"id", "name", "buildingId", "buildingName"}
    assert "themes" in lesson["gradebook"]
    perf = http.get(f"/services/reports/current/performance/{sid}").json()
    assert set(perf) == {"monthsWithDays", "daysWithMarksForSubject"}
    assert "subjects" in http.get(f"/services/students/{sid}/dashboard").json()
    att = http.get(f"/services/students/{sid}/attestation").json()
    assert att["academicYears"][0]["terms"] and att["subjects"][0]["marks"]
    sheet = http.get(f"/services/reports/curator/group-attestation-for-student/{sid}").json()
    assert sheet["termType"] == "Semester" and str(sid) in sheet["subjects"][0]["marks"]
    other = sid + 1
    assert http.get(f"/services/students/{other}/dashboard").status_code == 403

    emulator.emulator.faults.update({"server_version": "2024"})
    old = http.get(f"/services/students/{sid}/lessons/2026-09-01/2026-09-01").json()
    assert set(old[0]["lessons"][0]["timetable"]["classroom"]) == {"id", "name", "building"}

    with httpx.Client(base_url=emulator.url) as parent:
        children = login(parent, PARENT).json()["tenants"]["spo_1"]["parentRole"]["students"]
        assert len(children) == 2, "the parent of two children sees both"
        for child in children:
            assert parent.get(f"/services/students/{child['id']}/dashboard").status_code == 200


def test_session_lapses_after_n_requests_and_cap(
    http: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.emulator.faults.update({"expire_after": 2, "session_cap": 1})
    login(http, ADMIN)
    assert http.get("/services/people/departments/all").status_code == 200
    assert http.get("/services/people/departments/all").status_code == 200
    assert http.get("/services/people/departments/all").status_code == 401
    assert login(http, ADMIN).status_code == 200
    with httpx.Client(base_url=emulator.url) as second:
        refused = login(second, ADMIN)
        assert refused.status_code == 401
        assert "сеансов" in refused.json()["responseStatus"]["message"]
    emulator.emulator.faults.update({"lapse": "redirect", "session_cap": 0})
    http.get("/services/people/departments/all")
    http.get("/services/people/departments/all")
    moved = http.get("/services/people/departments/all")
    assert moved.status_code == 302 and moved.headers["location"].startswith("/security/")


def test_clock_controls_what_is_shown(http: httpx.Client, emulator: RunningEmulator) -> None:
    login(http, ADMIN)
    active = http.get("/services/people/students", params={"isActive": "true", "pageSize": 50})
    assert active.json()["studentsCount"] == 10
    later = (D + dt.timedelta(days=3)).isoformat()
    assert http.put("/x-emulator/clock", json={"now": later}).status_code == 200
    after = http.get("/services/people/students", params={"isActive": "true", "pageSize": 50})
    assert after.json()["studentsCount"] == 9, "the student expelled on D+2 is no longer active"
    knobs = http.put("/x-emulator/control", json={"latency_ms": 1}).json()
    assert knobs["latency_ms"] == 1
    assert http.put("/x-emulator/control", json={"nonsense": 1}).status_code == 400


def test_transferred_students_final_mark_is_on_the_new_groups_sheet(
    http: httpx.Client, emulator: RunningEmulator
) -> None:
    login(http, ADMIN)
    ids = emulator.emulator.ids
    moved = str(ids.of("person", "st4"))
    old, new = (
        http.get(f"/services/reports/curator/group-attestation/{ids.of('group', g)}").json()
        for g in ("g1", "g2")
    )
    assert moved in {str(s["id"]) for s in old["students"]}, "listed in both: a member of both"
    old_marks = {k for subject in old["subjects"] for k in subject["marks"]}
    new_marks = {k for subject in new["subjects"] for k in subject["marks"]}
    assert moved in new_marks and moved not in old_marks


def test_live_clock_follows_real_time(emulator: RunningEmulator, http: httpx.Client) -> None:
    assert http.put("/x-emulator/clock", json={"now": None}).status_code == 200
    shown = dt.datetime.fromisoformat(http.get("/x-emulator/clock").json()["now"])
    assert abs((dt.datetime.now(dt.UTC) - shown).total_seconds()) < 120
    assert http.put("/x-emulator/clock", json={"now": "2026-09-09T21:00"}).status_code == 400
