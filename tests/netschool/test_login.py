"""The classic login against the emulator over loopback: hashing, keys, cookies, expiry, logout, versions."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib

import httpx
import pytest

from connectors.netschool.auth import password_hashes
from connectors.netschool.client import ClientSettings, NetSchoolClient
from connectors.netschool.errors import AuthFailed, ProtocolFailure
from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from tests.netschool.worlds import DEPUTY_LOGIN, DEPUTY_PASSWORD, STUDENT_LOGIN, STUDENT_PASSWORD

FAST = ClientSettings(backoff_initial=0.01, backoff_max=0.05, timeout=5)


@pytest.mark.parametrize(
    ("password", "salt", "pw", "pw2"),
    [
        ("secret", "1458933352", "c15ca2", "c15ca299051b13f44a64ffbde7510bdf"),
        ("пароль", "1458933352", "86c5bc", "86c5bc594ec36f15f30d3663aeb51ebb"),
        ("Pa55word!", "728627461", "035af2acb", "035af2acb8ecfa80278665b772e5539f"),
    ],
)
def test_password_hash_vectors(password: str, salt: str, pw: str, pw2: str) -> None:
    assert password_hashes(password, salt) == (pw, pw2)


def _client(emu: RunningEmulator, login: str, password: str) -> NetSchoolClient:
    return NetSchoolClient(emu.url, login, password, emu.state.school().id, settings=FAST)


async def test_cyrillic_password_logs_in_and_logout_ends_session(emulator: RunningEmulator) -> None:
    assert any(ord(c) > 127 for c in DEPUTY_PASSWORD)
    async with _client(emulator, DEPUTY_LOGIN, DEPUTY_PASSWORD) as client:
        ctx = await client.context()
        assert ctx.schoolId == emulator.state.school().id
        token = client.auth.token
        assert token is not None and token.isdigit() and len(token) >= 20
        assert {c.name for c in client.auth.cookies.jar} >= {"NSSESSIONID", "ESRNSec"}
    assert token not in emulator.state.sessions, "logout ended the session"


async def test_wrong_password_is_409_with_russian_message(emulator: RunningEmulator) -> None:
    async with _client(emulator, DEPUTY_LOGIN, "не тот пароль") as client:
        with pytest.raises(AuthFailed) as failed:
            await client.context()
    assert "неверный логин, пароль" in str(failed.value)
    assert "Неправильный пароль" in str(failed.value), "the server's own message is passed on"


async def test_utf8_hashed_cyrillic_password_is_rejected(emulator: RunningEmulator) -> None:
    """The LEN #19 bug: hashing UTF-8 instead of windows-1251 must fail, as on a real server."""
    with httpx.Client(base_url=emulator.url + "/webapi/") as http:
        http.get("logindata")
        meta = http.post("auth/getdata").json()
        inner = hashlib.md5(DEPUTY_PASSWORD.encode("utf-8")).hexdigest()
        pw2 = hashlib.md5((meta["salt"] + inner).encode()).hexdigest()
        form = {"UN": DEPUTY_LOGIN, "PW": pw2[: len(DEPUTY_PASSWORD)], "pw2": pw2, "LT": meta["lt"]}
        answer = http.post("login", data={**form, "ver": meta["ver"], "LoginType": "1"})
    assert answer.status_code == 409
    assert answer.json()["message"]


def test_form_keys_are_case_insensitive_and_at_plus_cookie_authorise(
    emulator: RunningEmulator,
) -> None:
    with httpx.Client(base_url=emulator.url + "/webapi/") as http:
        http.get("logindata")
        meta = http.post("auth/getdata").json()
        assert set(meta) == {"lt", "ver", "salt"} and all(v.isdigit() for v in meta.values())
        pw, pw2 = password_hashes(STUDENT_PASSWORD, meta["salt"])
        answer = http.post(
            "login",
            data={
                "LoginType": "1",
                "cid": "2",
                "sid": "1",
                "pid": "-1",
                "cn": "1",
                "sft": "2",
                "SCID": str(emulator.state.school().id),
                "UN": STUDENT_LOGIN,
                "PW": pw,
                "pw2": pw2,
                "lt": meta["lt"],
                "ver": meta["ver"],
            },
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["timeOut"] == 3600 * 1000 and body["accountInfo"]["user"]["id"]
        at = body["at"]
        assert http.get("years/current").status_code == 401, "no at header"
        assert http.get("years/current", headers={"at": at}).status_code == 200
        cookies = dict(http.cookies)
        bare = httpx.get(emulator.url + "/webapi/years/current", headers={"at": at})
        assert bare.status_code == 401, "the ESRNSec cookie is required too"
        assert "ESRNSec" in cookies
        assert http.post("auth/logout", headers={"at": at}).status_code == 200
        assert http.get("years/current", headers={"at": at}).status_code == 401


async def test_expired_session_mid_sync_is_renewed(emulator: RunningEmulator) -> None:
    emulator.set_faults(session_expiry_after=3)
    async with _client(emulator, DEPUTY_LOGIN, DEPUTY_PASSWORD) as client:
        first = await client.context()
        tokens = {client.auth.token}
        for _ in range(4):
            year = await client.current_year()
            tokens.add(client.auth.token)
        assert year.id and first.schoolYearId == year.id
        assert client.auth.logins >= 2 and len(tokens) >= 2, "a new session, a new at"


async def test_time_expiry_gives_401_then_relogin(emulator: RunningEmulator) -> None:
    async with _client(emulator, DEPUTY_LOGIN, DEPUTY_PASSWORD) as client:
        await client.context()
        session = emulator.state.sessions[client.auth.token or ""]
        session.started -= session.timeout + 1
        await client.terms()
        assert client.auth.logins == 2


def test_version_switches(emulator: RunningEmulator) -> None:
    with httpx.Client(base_url=emulator.url + "/webapi/") as http:
        assert http.get("logindata").json()["version"] == "5.47.0"
        assert http.get("schools/search").status_code == 403, "5.30+: name is mandatory"
        found = http.get("schools/search", params={"name": "Тальмен"}).json()
        assert found[0]["id"] == emulator.state.school().id
        emulator.set_faults(version="5.20.0")
        assert http.get("schools/search").status_code == 200
        assert http.post("auth/logout").status_code == 404, "before 5.29 logout is /asp/logout.asp"
        emulator.set_faults(version="4.30.43656")
        http.get("logindata")
        meta = http.post("auth/getdata").json()
        answer = http.post(
            "login", data={"un": DEPUTY_LOGIN, "pw": "x", "pw2": "y", "lt": meta["lt"]}
        )
        assert answer.status_code == 200 and "at" not in answer.json(), "old servers: 200 + message"


async def test_old_version_logs_out_through_asp(emulator: RunningEmulator) -> None:
    emulator.set_faults(version="5.20.0")
    async with _client(emulator, DEPUTY_LOGIN, DEPUTY_PASSWORD) as client:
        assert await client.check_version() == "5.20.0"
        await client.context()
        token = client.auth.token
    assert token not in emulator.state.sessions
    assert emulator.state.hits["/asp/logout.asp"] == 1


def test_control_endpoint_sets_knobs_and_clock(emulator: RunningEmulator) -> None:
    with httpx.Client(base_url=emulator.url) as http:
        state = http.post(
            "/_emulator/control",
            json={"faults": {"latency": 0.05}, "as_of": "2026-10-20T09:00:00+07:00"},
        ).json()
        assert state["faults"]["latency"] == 0.05 and state["clock"].startswith("2026-10-20T09:00")
        date = http.get("/webapi/logindata").headers["date"]
        assert date == "Tue, 20 Oct 2026 02:00:00 GMT"
        bad = http.post("/_emulator/control", json={"faults": {"nonsense": 1}})
        assert bad.status_code == 400 and "nonsense" in bad.json()["message"]


async def test_find_school_by_short_name_sends_name_where_needed(emulator: RunningEmulator) -> None:
    async with _client(emulator, DEPUTY_LOGIN, DEPUTY_PASSWORD) as client:
        found = await client.find_school("Тальменская школа-интернат")
    assert found == emulator.state.school().id
    async with _client(emulator, DEPUTY_LOGIN, DEPUTY_PASSWORD) as client:
        with pytest.raises(ProtocolFailure):
            await client.find_school("Несуществующая школа")


def test_live_clock_follows_real_time(world: World) -> None:
    with start_emulator(world) as live, httpx.Client(base_url=live.url) as http:
        stamp = email.utils.parsedate_to_datetime(http.get("/webapi/logindata").headers["date"])
        assert abs((stamp - dt.datetime.now(dt.UTC)).total_seconds()) < 5
        assert live.state.school().year is None or live.state.school().moment.second == 0
