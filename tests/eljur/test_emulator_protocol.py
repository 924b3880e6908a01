"""The ЭлЖур emulator over a socket: the conventions of eljur.md §3-§5 and §9."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.server import RunningEmulator
from emulators.scenario.world import World
from tests.eljur.conftest import account

COMMON = {"devkey": DEFAULT_DEVKEY, "vendor": "mazanka", "out_format": "json"}


def _auth(emu: RunningEmulator, world: World, role: str) -> str:
    acc = account(world, role)
    answer = httpx.post(
        f"{emu.url}/api/auth",
        data={**COMMON, "login": acc["login"], "password": acc["password"]},
    )
    assert answer.status_code == 200
    body = answer.json()["response"]
    assert body["state"] == 200 and body["error"] is None
    dt.datetime.strptime(body["result"]["expires"], "%Y-%m-%d %H:%M:%S")
    return str(body["result"]["token"])


def _get(emu: RunningEmulator, method: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{emu.url}/apiv3/{method}", params={**COMMON, **params})


def test_devkey_vendor_and_password_are_checked_with_the_envelope(
    emulator: RunningEmulator, mazanka: World
) -> None:
    acc = account(mazanka, "deputy")
    creds = {"login": acc["login"], "password": acc["password"]}
    bad_key = _get(emulator, "auth", **creds, devkey="nope")
    assert bad_key.status_code == 400
    assert bad_key.json()["response"]["error"] == "не удалось авторизовать разработчика"
    assert bad_key.json()["response"]["result"]["errorCode"] == 1
    bad_vendor = _get(emulator, "auth", **creds, vendor="other")
    assert (
        bad_vendor.status_code == 400 and bad_vendor.json()["response"]["result"]["errorCode"] == 2
    )
    bad_password = _get(emulator, "auth", login=acc["login"], password="wrong")
    assert bad_password.status_code == 401
    assert bad_password.json()["response"]["result"]["errorCode"] == 3
    # GET with camelCase method name and devKey spelling (EJ‑AND) works too.
    ok = httpx.get(
        f"{emulator.url}/apiv3/Auth",
        params={"devKey": DEFAULT_DEVKEY, "vendor": "mazanka", **creds},
    )
    assert ok.status_code == 200 and ok.json()["response"]["result"]["token"]


def test_token_is_valid_only_for_its_vendor_and_until_it_expires(
    emulator: RunningEmulator, mazanka: World
) -> None:
    token = _auth(emulator, mazanka, "deputy")
    assert _get(emulator, "getRules", auth_token=token).status_code == 200
    other = _get(emulator, "getrules", auth_token=token, vendor="other")
    assert other.status_code == 400  # the vendor itself is unknown here
    emulator.set_clock(emulator.state.now() + dt.timedelta(days=91))
    expired = _get(emulator, "getrules", auth_token=token)
    assert expired.status_code == 401 and expired.json()["response"]["result"] == {}


def test_rules_list_every_student_and_class_for_the_extended_account(
    emulator: RunningEmulator, mazanka: World
) -> None:
    token = _auth(emulator, mazanka, "deputy")
    rules = _get(emulator, "getrules", auth_token=token).json()["response"]["result"]
    school = emulator.state.school()
    assert set(rules["relations"]["students"]) == {str(s) for s in school.students}
    assert set(rules["relations"]["groups"]) == set(school.classes)
    student = next(iter(rules["relations"]["students"].values()))
    assert "getdiary" in student["rules"] and student["class"] in school.classes
    group = next(iter(rules["relations"]["groups"].values()))
    assert group["rules"] == ["getschedule", "gethomework"]


def test_a_method_outside_the_relation_rules_gets_the_error_envelope(
    emulator: RunningEmulator, mazanka: World
) -> None:
    token = _auth(emulator, mazanka, "parent")
    rules = _get(emulator, "getrules", auth_token=token).json()["response"]["result"]
    own = set(rules["relations"]["students"])
    stranger = next(str(s) for s in emulator.state.school().students if str(s) not in own)
    refused = _get(emulator, "getdiary", auth_token=token, student=stranger)
    assert refused.status_code == 403
    assert refused.json()["response"]["state"] == 403 and refused.json()["response"]["result"] == {}
    # A class the parent is not related to: getschedule with class= is refused as well.
    assert _get(emulator, "getschedule", auth_token=token, **{"class": "5А"}).status_code == 403


def test_diary_schedule_and_marks_have_the_documented_shapes(
    emulator: RunningEmulator, mazanka: World
) -> None:
    token = _auth(emulator, mazanka, "deputy")
    school = emulator.state.school()
    start = dt.date.fromisoformat(str(mazanka.meta["starts_at"])[:10])
    days = f"{start:%Y%m%d}-{start + dt.timedelta(days=6):%Y%m%d}"
    ids = ",".join(str(s) for s in sorted(school.students))
    diary = httpx.post(
        f"{emulator.url}/apiv3/newgetdiary",
        data={**COMMON, "auth_token": token, "students": ids, "days": days, "rings": "yes"},
    ).json()["response"]["result"]["students"]
    assert set(diary) == {str(s) for s in school.students}
    values: set[str] = set()
    for record in diary.values():
        for key, day in record["days"].items():
            assert key == day["name"] and len(key) == 8
            assert day["title"] in ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница")
            for item in day["items"].values():
                assert item["lesson_id"].isdigit() and isinstance(item["num"], str)
                assert item["starttime"].count(":") == 2
                for mark in item.get("assessments", []):
                    values.add(mark["value"])
                    assert mark["date"] == f"{key[:4]}-{key[4:6]}-{key[6:]}"
                    assert mark["lesson_id"] == item["lesson_id"]
    assert "н" in values and values & {"2", "3", "4", "5"}
    schedule = _get(emulator, "getschedule", auth_token=token, days=days, **{"class": "5А"})
    result = schedule.json()["response"]["result"]
    assert "students" not in result and result["days"]
    first_day = next(iter(result["days"].values()))
    assert "items_extday" in first_day and any(i["topic"] for i in first_day["items"].values())
    marks = _get(emulator, "getmarks", auth_token=token, student=ids.split(",")[-1], days=days)
    lessons = marks.json()["response"]["result"]["students"][ids.split(",")[-1]]["lessons"]
    assert all("mtype" in m for subject in lessons for m in subject["marks"])
    periods = _get(
        emulator, "getperiods", auth_token=token, student=ids.split(",")[0], show_disabled="yes"
    )
    names = [p["name"] for p in periods.json()["response"]["result"]["students"][0]["periods"]]
    assert names == ["I", "II", "III", "IV", "Год"]


def test_fault_knobs_apply_to_api_paths(emulator: RunningEmulator, mazanka: World) -> None:
    token = _auth(emulator, mazanka, "deputy")
    emulator.set_faults(error_every=2)
    statuses = [_get(emulator, "getrules", auth_token=token).status_code for _ in range(4)]
    assert statuses.count(500) == 2
    emulator.reset_faults()
    emulator.set_faults(session_expiry_after=1)
    token = _auth(emulator, mazanka, "deputy")
    assert _get(emulator, "getrules", auth_token=token).status_code == 200
    assert _get(emulator, "getrules", auth_token=token).status_code == 401
