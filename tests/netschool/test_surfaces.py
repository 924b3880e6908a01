"""The student diary and mobile API surfaces: field names, casings and formats the doc lists."""

from __future__ import annotations

import re
from typing import Any

import httpx

from connectors.netschool.auth import password_hashes
from emulators.netschool.ids import ns_id
from emulators.netschool.server import RunningEmulator
from tests.netschool.worlds import DEPUTY_LOGIN, DEPUTY_PASSWORD, STUDENT_LOGIN, STUDENT_PASSWORD

MIDNIGHT = re.compile(r"^\d{4}-\d{2}-\d{2}T00:00:00$")


def _login(http: httpx.Client, emu: RunningEmulator, login: str, password: str) -> str:
    http.get("logindata")
    meta = http.post("auth/getdata").json()
    pw, pw2 = password_hashes(password, meta["salt"])
    body = http.post(
        "login",
        data={
            "loginType": 1,
            "scid": emu.state.school().id,
            "un": login,
            "pw": pw,
            "pw2": pw2,
            "lt": meta["lt"],
            "ver": meta["ver"],
        },
    ).json()
    http.headers["at"] = body["at"]
    return str(body["at"])


def test_diary_shapes_and_casings(emulator: RunningEmulator) -> None:
    with httpx.Client(base_url=emulator.url + "/webapi/") as http:
        _login(http, emulator, STUDENT_LOGIN, STUDENT_PASSWORD)
        init = http.get("student/diary/init").json()
        student = init["students"][init["currentStudentId"]]["studentId"]
        assert init["currentStudentId"] == 0 and student == ns_id("person", "s1")
        types = {
            t["id"] for t in http.get("grade/assignment/types", params={"all": "false"}).json()
        }
        diary = http.get(
            "student/diary",
            params={
                "studentId": student,
                "yearId": 1,
                "weekStart": "2026-10-12",
                "weekEnd": "2026-10-17",
            },
        ).json()
        assert MIDNIGHT.match(diary["weekStart"]) and diary["termName"] == "1 четверть"
        lessons: list[dict[str, Any]] = [x for d in diary["weekDays"] for x in d["lessons"]]
        assert lessons and all("classmeetingId" in x and MIDNIGHT.match(x["day"]) for x in lessons)
        assignments = [a for x in lessons for a in x.get("assignments", [])]
        assert assignments and all(
            "classMeetingId" in a and a["typeId"] in types for a in assignments
        )
        assert all(MIDNIGHT.match(a["dueDate"]) for a in assignments)
        marked = [a for a in assignments if "mark" in a]
        assert marked and all(isinstance(a["mark"]["mark"], int) for a in marked)
        detail = http.get(
            f"student/diary/assigns/{assignments[0]['id']}", params={"studentId": student}
        ).json()
        assert "/" in detail["subjectGroup"]["name"] and detail["teachers"]
        other = ns_id("person", "s5")
        denied = http.get(
            "student/diary",
            params={"studentId": other, "weekStart": "2026-10-12", "weekEnd": "2026-10-17"},
        )
        assert denied.status_code == 403, "a student sees only their own diary"
        staff_only = http.get("grade/journal/filter/init")
        assert staff_only.status_code == 403


def test_mobile_token_flow_topics_attendance_result_dates(emulator: RunningEmulator) -> None:
    with httpx.Client(base_url=emulator.url) as http:
        http.base_url = httpx.URL(emulator.url + "/webapi/")
        _login(http, emulator, STUDENT_LOGIN, STUDENT_PASSWORD)
        code = http.get("mysettings/mobile/pincode").json()["userCode"]
        token = httpx.post(
            emulator.url + "/connect/token",
            data={
                "client_id": "parent-mobile",
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": str(code),
            },
        ).json()
        assert token["token_type"] == "Bearer" and token["refresh_token"]
        bearer = {"authorization": f"Bearer {token['access_token']}"}
        student = ns_id("person", "s1")
        meetings = httpx.get(
            emulator.url + "/api/mobile/classmeetings",
            params={"studentIds": student, "startDate": "2026-09-01", "endDate": "2026-10-14"},
            headers=bearer,
        ).json()
        assert meetings and all("lessonTheme" in m and "classmeetingId" in m for m in meetings)
        assert any(m["lessonTheme"] for m in meetings)
        assert any(m["attendance"] for m in meetings), "absences show as attendance"
        with_results = [m["classmeetingId"] for m in meetings if m["resultsExists"]][:5]
        assigns = httpx.get(
            emulator.url + "/api/mobile/assignments",
            params=[("studentId", student), *(("classmeetingId", c) for c in with_results)],
            headers=bearer,
        ).json()
        results = [a for a in assigns if a["result"] is not None]
        assert results and all(
            re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", a["resultDate"]) for a in results
        )
        assert (
            httpx.get(
                emulator.url + "/api/mobile/classmeetings", params={"studentIds": student}
            ).status_code
            == 401
        )
        refreshed = httpx.post(
            emulator.url + "/connect/token",
            data={
                "client_id": "parent-mobile",
                "grant_type": "refresh_token",
                "refresh_token": token["refresh_token"],
            },
        )
        assert (
            refreshed.status_code == 200
            and refreshed.json()["access_token"] != token["access_token"]
        )


def test_student_card_parents_are_for_staff_only(emulator: RunningEmulator) -> None:
    """``userinfo/{id}/parents`` (the vendor's path): a student account is refused, a staff
    account gets a list for a student and 404 for an id that is no student."""
    student = ns_id("person", "s1")
    with httpx.Client(base_url=emulator.url + "/webapi/") as http:
        _login(http, emulator, STUDENT_LOGIN, STUDENT_PASSWORD)
        assert http.get(f"userinfo/{student}/parents").status_code == 403
    with httpx.Client(base_url=emulator.url + "/webapi/") as http:
        _login(http, emulator, DEPUTY_LOGIN, DEPUTY_PASSWORD)
        answer = http.get(f"userinfo/{student}/parents")
        assert answer.status_code == 200 and isinstance(answer.json(), list)
        assert http.get("userinfo/999999999/parents").status_code == 404
