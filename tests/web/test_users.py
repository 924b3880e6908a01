"""The administrator's accounts page over HTTP: each change lands in the 0600 file, others get 403."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.web.client import csrf_of, logged_in, post_form
from tests.web.world import PASSWORD
from web.users import Role, load

NEW = "новый-пароль-1"
PAGE = "/admin/users"


def _file(tmp_path: Path) -> Path:
    return tmp_path / "users.json"


def test_admin_lists_accounts_without_passwords(site: str, tmp_path: Path) -> None:
    with logged_in(site, "admin") as admin:
        page = admin.get(PAGE).text
    assert "kotova" in page and "преподаватель" in page and "T1" in page
    assert "$argon2" not in page and PASSWORD not in page


def test_admin_adds_a_user_who_can_log_in(site: str, tmp_path: Path) -> None:
    with logged_in(site, "admin") as admin:
        data = {"login": "petrova", "role": "teacher", "person": "T2", "name": "Петрова А. П."}
        done = post_form(
            admin, PAGE, "/admin/users/added", {**data, "password": NEW, "password2": NEW}
        )
        assert done.status_code == 303 and done.headers["location"] == "/admin/users?done=added"
        assert "Учётная запись добавлена." in admin.get(done.headers["location"]).text
        taken = post_form(
            admin, PAGE, "/admin/users/added", {**data, "password": NEW, "password2": NEW}
        )
        assert taken.status_code == 400 and "уже есть" in taken.text
        teacher = post_form(
            admin,
            PAGE,
            "/admin/users/added",
            {"login": "x", "role": "teacher", "password": NEW, "password2": NEW},
        )
        assert teacher.status_code == 400 and "карточку в журнале" in teacher.text
        short = post_form(
            admin,
            PAGE,
            "/admin/users/added",
            {"login": "y", "role": "deputy", "password": "корот", "password2": "корот"},
        )
        assert short.status_code == 400 and "пароль короче 8 символов" in short.text
        differ = post_form(
            admin,
            PAGE,
            "/admin/users/added",
            {"login": "z", "role": "deputy", "password": NEW, "password2": NEW + "!"},
        )
        assert differ.status_code == 400 and "не совпадают" in differ.text
    stored = load(_file(tmp_path))
    assert set(stored.users) - {"zavuch", "kotova", "lee", "operator", "admin"} == {"petrova"}
    assert stored.users["petrova"].person == "T2" and stored.users["petrova"].role is Role.TEACHER
    assert oct(_file(tmp_path).stat().st_mode & 0o777) == "0o600"
    with httpx.Client(base_url=site) as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"csrf": token, "login": "petrova", "password": NEW})
        assert answer.status_code == 303 and answer.headers["location"] == "/teacher"


def test_admin_changes_a_role_and_resets_a_password(site: str, tmp_path: Path) -> None:
    with logged_in(site, "admin") as admin:
        role = post_form(admin, PAGE, "/admin/users/role", {"login": "zavuch", "role": "operator"})
        assert role.status_code == 303
        reset = post_form(
            admin,
            PAGE,
            "/admin/users/password",
            {"login": "lee", "password": NEW, "password2": NEW},
        )
        assert reset.status_code == 303
        own = post_form(admin, PAGE, "/admin/users/role", {"login": "admin", "role": "deputy"})
        assert own.status_code == 400 and "свою роль изменить нельзя" in own.text
        ghost = post_form(
            admin,
            PAGE,
            "/admin/users/password",
            {"login": "никто", "password": NEW, "password2": NEW},
        )
        assert ghost.status_code == 400 and "учётной записи «никто» нет" in ghost.text
    stored = load(_file(tmp_path))
    assert stored.users["zavuch"].role is Role.OPERATOR and stored.users["admin"].role is Role.ADMIN
    assert stored.verify("lee", NEW) is not None and stored.verify("lee", PASSWORD) is None
    with logged_in(site, "zavuch") as moved:  # the new role applies at once
        assert moved.get("/operator/outbox").status_code == 200
        assert moved.get("/deputy").status_code == 403


def test_admin_removes_a_user_but_not_self_nor_the_last_admin(site: str, tmp_path: Path) -> None:
    with logged_in(site, "admin") as admin, logged_in(site, "operator") as operator:
        assert operator.get("/operator").status_code == 200
        gone = post_form(admin, PAGE, "/admin/users/removed", {"login": "operator"})
        assert gone.status_code == 303
        assert operator.get("/operator").headers["location"] == "/login"  # its session ended
        self_ = post_form(admin, PAGE, "/admin/users/removed", {"login": "admin"})
        assert self_.status_code == 400 and "свою учётную запись удалить нельзя" in self_.text
    stored = load(_file(tmp_path))
    assert "operator" not in stored.users and "admin" in stored.users


def test_the_last_admin_keeps_the_role(site: str, tmp_path: Path) -> None:
    with logged_in(site, "admin") as admin:
        second = {"login": "admin2", "role": "admin", "password": NEW, "password2": NEW}
        assert post_form(admin, PAGE, "/admin/users/added", second).status_code == 303
    with httpx.Client(base_url=site) as other:
        token = csrf_of(other.get("/login").text)
        other.post("/login", data={"csrf": token, "login": "admin2", "password": NEW})
        removed = post_form(other, PAGE, "/admin/users/removed", {"login": "admin"})
        assert removed.status_code == 303
        demoted = post_form(other, PAGE, "/admin/users/role", {"login": "admin2", "role": "deputy"})
        assert demoted.status_code == 400
    stored = load(_file(tmp_path))
    assert [u.login for u in stored.users.values() if u.role is Role.ADMIN] == ["admin2"]


def test_only_the_admin_manages_accounts_and_every_form_needs_its_token(
    site: str, tmp_path: Path
) -> None:
    before = _file(tmp_path).read_bytes()
    for login in ("zavuch", "kotova", "operator"):
        with logged_in(site, login) as outsider:
            assert outsider.get(PAGE).status_code == 403
            token = csrf_of(outsider.get("/login").text)
            for action in ("added", "role", "password", "removed"):
                data = {
                    "csrf": token,
                    "login": "lee",
                    "role": "admin",
                    "password": NEW,
                    "password2": NEW,
                }
                refused = outsider.post(f"/admin/users/{action}", data=data)
                assert refused.status_code == 403 and "недоступна для вашей роли" in refused.text
    with logged_in(site, "admin") as admin:
        for action in ("added", "role", "password", "removed"):
            data = {"login": "lee", "role": "admin", "password": NEW, "password2": NEW}
            forged = admin.post(f"/admin/users/{action}", data={"csrf": "подделка", **data})
            assert forged.status_code == 403 and "Форма устарела" in forged.text
            assert admin.post(f"/admin/users/{action}", data=data).status_code == 403
    assert _file(tmp_path).read_bytes() == before
