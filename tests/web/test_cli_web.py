"""``sverka user add`` writes an owner-only accounts file with argon2 hashes; ``sverka web`` serves."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from web.users import load

SECRET = "очень-секретный-пароль"


def test_user_add_keeps_only_a_hash_in_an_owner_only_file(tmp_path: Path) -> None:
    users = tmp_path / "conf" / "users.json"
    env = {"SVERKA_WEB_PASSWORD": SECRET}
    runner = CliRunner()
    done = runner.invoke(
        app, ["user", "add", "zavuch", "--role", "deputy", "--users", str(users)], env=env
    )
    assert done.exit_code == 0, done.output
    assert oct(users.stat().st_mode & 0o777) == "0o600"
    assert SECRET not in users.read_text(encoding="utf-8")
    stored = json.loads(users.read_text(encoding="utf-8"))["users"][0]
    assert stored["password_hash"].startswith("$argon2id$")
    assert load(users).verify("zavuch", SECRET) is not None
    assert load(users).verify("zavuch", "другой") is None

    teacher = runner.invoke(
        app, ["user", "add", "kotova", "--role", "teacher", "--users", str(users)], env=env
    )
    assert teacher.exit_code == 1 and "карточку в журнале" in teacher.output
    role = runner.invoke(
        app, ["user", "add", "x", "--role", "boss", "--users", str(users)], env=env
    )
    assert role.exit_code == 1 and "неизвестная роль" in role.output
    assert set(load(users).users) == {"zavuch"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sverka_web_serves_the_login_page(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    db = tmp_path / "store.sqlite"
    port = _free_port()
    env = {**os.environ, "SVERKA_WEB_USERS": str(users), "SVERKA_WEB_PASSWORD": SECRET}
    sverka = [sys.executable, "-m", "cli.main", "--db", str(db), "web", "--port", str(port)]
    server = subprocess.Popen(
        sverka, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except httpx.ConnectError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "sverka web did not start"
                time.sleep(0.3)
        assert page.status_code == 200 and "Вход в Сверку" in page.text
        # the first run created the administrator from SVERKA_WEB_PASSWORD
        assert load(users).verify("admin", SECRET) is not None
    finally:
        server.terminate()
        server.wait(10)


def test_demo_accounts_link_the_teacher_to_the_busiest_person(
    engine: Engine, tmp_path: Path
) -> None:
    from cli.web import demo_accounts
    from tests.web.world import build_store

    build_store(engine)
    passwords = demo_accounts(engine, tmp_path / "web-users.json")
    assert set(passwords) == {"zavuch", "operator", "admin", "teacher"}
    accounts = load(tmp_path / "web-users.json")
    teacher = accounts.verify("teacher", passwords["teacher"])
    assert teacher is not None and teacher.person in {"T1", "T2"} and teacher.name.endswith(".")
    assert passwords["zavuch"] not in (tmp_path / "web-users.json").read_text(encoding="utf-8")
