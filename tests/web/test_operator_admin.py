"""The operator's export and outbox, the administrator's held run, over HTTP on loopback."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine

from local_store import outbox
from local_store.hold import list_held
from local_store.runs import RunStatus, get_run
from reports.contingent_export import check_xml
from tests.web.client import logged_in, post_form


def test_operator_checks_then_downloads_the_export(contingent_site: tuple[str, int]) -> None:
    site, _ = contingent_site
    with logged_in(site, "operator") as operator:
        page = operator.get("/operator").text
        assert "войдут в выгрузку" in page and "Ошибки проверки" in page and "СНИЛС" in page
        xml = operator.get("/operator/export.xml")
        assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
        check_xml(xml.content)  # raises if the file does not validate against the XSD
        xlsx = operator.get("/operator/export.xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet.max_row > 5
    with logged_in(site, "zavuch") as deputy:  # the deputy may see the export too
        assert deputy.get("/operator/export.xml").status_code == 200
        assert deputy.get("/operator/outbox").status_code == 403
    for other in ("admin", "kotova"):
        with logged_in(site, other) as outsider:
            assert outsider.get("/operator").status_code == 403
            assert outsider.get("/operator/export.xlsx").status_code == 403


def test_operator_requeues_a_failed_push(contingent_site: tuple[str, int], engine: Engine) -> None:
    site, _ = contingent_site
    [failed] = outbox.items(engine, status=outbox.OutboxStatus.FAILED)
    with logged_in(site, "operator") as operator:
        page = operator.get("/operator/outbox").text
        assert "неверная контрольная сумма СНИЛС" in page and "движение контингента" in page
        bare = operator.post(f"/operator/outbox/{failed.id}/requeue")
        assert bare.status_code == 403
        assert outbox.items(engine)[0].status is outbox.OutboxStatus.FAILED
        done = post_form(operator, "/operator/outbox", f"/operator/outbox/{failed.id}/requeue", {})
        assert done.status_code == 303
        again = post_form(operator, "/operator/outbox", f"/operator/outbox/{failed.id}/requeue", {})
        assert again.status_code == 409
    [row] = outbox.items(engine)
    assert row.status is outbox.OutboxStatus.PENDING and row.message_id == failed.message_id


def test_admin_sees_runs_and_approves_the_held_run(
    contingent_site: tuple[str, int], engine: Engine
) -> None:
    site, held_run = contingent_site
    with logged_in(site, "admin") as admin:
        page = admin.get("/admin").text
        assert "Задержанные массовые изменения: 1" in page and "Сетевой город" in page
        assert "Источники: последний запуск" in page and "реестр контингента (reg.test)" in page
        users = admin.get("/admin/users").text
        assert "zavuch" in users and "заместитель директора" in users and "argon2" not in users
        assert "20.10.2026" in page  # local dates, DD.MM.YYYY
        with logged_in(site, "operator") as operator:
            assert (
                post_form(operator, "/operator", f"/admin/held/{held_run}/approve", {}).status_code
                == 403
            )
        assert get_run(engine, held_run).status is RunStatus.HELD
        done = post_form(admin, "/admin", f"/admin/held/{held_run}/approve", {})
        assert done.status_code == 303
    assert get_run(engine, held_run).status is RunStatus.SUCCEEDED
    assert list_held(engine) == []


def test_admin_adds_pauses_resumes_and_removes_a_plan(site: str, engine: Engine) -> None:
    from scheduler.jobs import JOB_KINDS
    from scheduler.plans import list_plans

    with logged_in(site, "admin") as admin:
        wrong = post_form(
            admin,
            "/admin/plans",
            "/admin/plans",
            {"plan_id": "proverka", "job": "check", "schedule": "0 21 * * *", "params": ""},
        )
        assert (
            wrong.status_code == 400
            and "План не добавлен" in wrong.text
            and "profile" in wrong.text
        )
        assert list_plans(engine) == []
        added = post_form(
            admin,
            "/admin/plans",
            "/admin/plans",
            {
                "plan_id": "proverka",
                "job": "check",
                "schedule": "0 21 * * *",
                "params": "profile=kpgt",
            },
        )
        assert added.status_code == 303
        [plan] = list_plans(engine)
        assert plan.kind == "check" and plan.params["profile"] == "kpgt" and not plan.paused
        page = admin.get("/admin/plans").text
        assert "proverka" in page and JOB_KINDS["check"].title in page
        assert (
            post_form(admin, "/admin/plans", "/admin/plans/proverka/pause", {}).status_code == 303
        )
        assert list_plans(engine)[0].paused
        assert (
            post_form(admin, "/admin/plans", "/admin/plans/proverka/resume", {}).status_code == 303
        )
        assert not list_plans(engine)[0].paused
        assert (
            post_form(admin, "/admin/plans", "/admin/plans/proverka/remove", {}).status_code == 303
        )
        assert list_plans(engine) == []
    with logged_in(site, "zavuch") as deputy:
        assert deputy.get("/admin/plans").status_code == 403


def test_admin_source_form_refuses_bad_answers_and_a_failed_login_writes_nothing(
    site: str, tmp_path: Path
) -> None:
    with logged_in(site, "admin") as admin:
        bad = post_form(
            admin,
            "/admin/sources",
            "/admin/sources",
            {
                "source": "netschool",
                "url": "sgo.example",
                "login": "zam",
                "password": "x",
                "timezone": "Asia/Tomsk",
            },
        )
        assert bad.status_code == 400 and "http:// или https://" in bad.text
        done = post_form(
            admin,
            "/admin/sources",
            "/admin/sources",
            {
                "source": "netschool",
                "url": "http://127.0.0.1:9/",
                "school": "1",
                "login": "zam",
                "password": "тайный-пароль",
                "timezone": "Asia/Tomsk",
            },
        )
        # nothing answers on port 9: the login fails first, so nothing is written
        assert done.status_code == 400 and "Настройки не записаны" in done.text
        assert "тайный-пароль" not in done.text
    config = tmp_path / "sources" / "sverka-netschool.toml"
    assert not config.exists() and not config.with_suffix(".secrets").exists()
