"""Issue 18: the administrator's «add a source» logs in first, as ``sverka source add`` does.

Against the ПОО emulator on loopback: a refused login writes nothing (and keeps last
week's working settings as they were); an accepted one writes the settings and the 0600
secrets file."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.poo import EmulatorConfig, RunningEmulator, start_emulator
from emulators.poo.faults import Faults
from pipelines.source_setup import SourceAnswers, current_answers, write_source
from tests.poo.world_builder import ADMIN, D, build_world
from tests.web.client import csrf_of, logged_in, post_form


@pytest.fixture
def poo() -> Iterator[RunningEmulator]:
    running = start_emulator(
        EmulatorConfig(world=build_world(), as_of=D, tenant="spo_1", faults=Faults())
    )
    try:
        yield running
    finally:
        running.stop()


def _answers(url: str, password: str) -> dict[str, str]:
    return {
        "source": "poo",
        "url": url,
        "tenant": "spo_1",
        "login": ADMIN[0],
        "password": password,
        "timezone": "Asia/Tomsk",
    }


def test_the_form_logs_in_before_it_writes(site: str, tmp_path: Path, poo: RunningEmulator) -> None:
    config = tmp_path / "sources" / "sverka-poo.toml"
    secrets = config.with_suffix(".secrets")
    with logged_in(site, "admin") as admin:
        wrong = post_form(admin, "/admin/sources", "/admin/sources", _answers(poo.url, "неверный"))
        assert wrong.status_code == 400, wrong.text
        assert "Войти не удалось" in wrong.text and "Настройки не записаны" in wrong.text
        assert "неверный логин или пароль" in wrong.text
        assert not config.exists() and not secrets.exists(), "a refused login writes nothing"
        assert not list((tmp_path / "sources").glob(".sverka-source-*")), "no trial left behind"

        done = post_form(admin, "/admin/sources", "/admin/sources", _answers(poo.url, ADMIN[1]))
        assert done.status_code == 200, done.text
        assert "вход выполнен" in done.text and ADMIN[1] not in done.text
        written = config.read_text(encoding="utf-8")
        assert poo.url in written and ADMIN[1] not in written
        assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
        assert ADMIN[1] in secrets.read_text(encoding="utf-8")

        again = post_form(admin, "/admin/sources", "/admin/sources", _answers(poo.url, "опечатка"))
        assert again.status_code == 400
    assert config.read_text(encoding="utf-8") == written, "the working settings are kept"
    assert ADMIN[1] in secrets.read_text(encoding="utf-8")


def test_the_edit_form_logs_in_before_it_changes(
    site: str, tmp_path: Path, poo: RunningEmulator
) -> None:
    config = tmp_path / "sources" / "sverka-poo.toml"
    secrets = config.with_suffix(".secrets")
    with logged_in(site, "admin") as admin:
        added = post_form(admin, "/admin/sources", "/admin/sources", _answers(poo.url, ADMIN[1]))
        assert added.status_code == 200, added.text
        page = admin.get("/admin/sources").text
        assert "/admin/sources/edit" in page and poo.url in page and ADMIN[1] not in page
        written, kept = config.read_text(encoding="utf-8"), secrets.read_bytes()
        edit = {"source": "poo", "url": poo.url, "login": ADMIN[0]}

        wrong = post_form(admin, "/admin/sources", "/admin/sources/edit", {**edit, "password": "x"})
        assert wrong.status_code == 400 and "Настройки не изменены" in wrong.text
        stranger = post_form(
            admin, "/admin/sources", "/admin/sources/edit", {**edit, "login": "никто"}
        )
        assert stranger.status_code == 400 and "Войти не удалось" in stranger.text
        bad = post_form(admin, "/admin/sources", "/admin/sources/edit", {**edit, "url": "ftp://x"})
        assert bad.status_code == 400 and "Источник не изменён" in bad.text
        assert config.read_text(encoding="utf-8") == written and secrets.read_bytes() == kept
        assert not list((tmp_path / "sources").glob(".sverka-source-*")), "no trial left behind"

        moved = poo.url.replace("127.0.0.1", "localhost")
        same = post_form(admin, "/admin/sources", "/admin/sources/edit", {**edit, "url": moved})
        assert same.status_code == 200 and "настройки изменены" in same.text, same.text
    assert moved in config.read_text(encoding="utf-8") and poo.url not in config.read_text(
        encoding="utf-8"
    )
    assert secrets.read_bytes() == kept, "no new password typed: the old one is kept"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600


def test_only_the_admin_edits_a_source_and_only_with_the_token(
    site: str, tmp_path: Path, poo: RunningEmulator
) -> None:
    config = tmp_path / "sources" / "sverka-poo.toml"
    with logged_in(site, "admin") as admin:
        post_form(admin, "/admin/sources", "/admin/sources", _answers(poo.url, ADMIN[1]))
        written = config.read_text(encoding="utf-8")
        edit = {"source": "poo", "url": "https://other.test", "login": ADMIN[0]}
        forged = admin.post("/admin/sources/edit", data={"csrf": "подделка", **edit})
        assert forged.status_code == 403
    for login in ("zavuch", "kotova"):
        with logged_in(site, login) as outsider:
            token = csrf_of(outsider.get("/login").text)
            refused = outsider.post("/admin/sources/edit", data={"csrf": token, **edit})
            assert refused.status_code == 403 and "недоступна для вашей роли" in refused.text
    assert config.read_text(encoding="utf-8") == written


@pytest.mark.parametrize(
    "answers",
    [
        SourceAnswers("poo", "https://poo.test", "admin", "Asia/Tomsk", "п1", tenant="spo_1"),
        SourceAnswers("netschool", "https://ns.test", "adm", "Asia/Omsk", "п2", school="12"),
        SourceAnswers("netschool", "https://ns.test", "adm", "Asia/Omsk", "п3", school="Лицей"),
        SourceAnswers(
            "eljur",
            "school.eljur.test",
            "adm",
            "Europe/Moscow",
            "п4",
            devkey="ключ",
            vendor="school",
            api_url="https://api.eljur.test/apiv3",
        ),
    ],
)
def test_the_edit_form_starts_from_what_was_written(tmp_path: Path, answers: SourceAnswers) -> None:
    """Every field the edit form does not show comes back as written, secrets included."""
    config = tmp_path / f"sverka-{answers.source}.toml"
    write_source(answers, config, config.with_suffix(".secrets"))
    assert current_answers(answers.source, config) == (answers, config.with_suffix(".secrets"))
