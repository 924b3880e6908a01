"""Debian's Chromium, headless, through Playwright: each role logs in and works its page.

The browser is the system's ``/usr/bin/chromium`` (``.ci/install`` installs it with
apt); Playwright never downloads one.  Screenshots of every page at 1280 and 390 px
go to ``SVERKA_WEB_SHOTS`` when set, for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from local_store.hold import list_held
from local_store.violations import list_violations
from reports.contingent_export import check_xml
from scheduler.plans import list_plans
from tests.web.world import PASSWORD

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,  # Playwright gives each launch a fresh temporary profile
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("SVERKA_WEB_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _log_in(browser: Browser, site: str, login: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page.goto(f"{site}/")
    assert page.url.endswith("/login")
    _shot(page, "login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_deputy_filters_acknowledges_and_approves(
    browser: Browser, site: str, engine: Engine
) -> None:
    page = _log_in(browser, site, "zavuch")
    assert page.url.endswith("/deputy")
    assert page.locator("h1").inner_text().startswith("ГБОУ «Школа № 1»: сводка на 05.10.2026")
    _shot(page, "deputy-summary")
    page.click("text=Нарушения и расхождения")
    assert page.locator(".item").count() == 2
    page.select_option("select[name=teacher]", label="Котова О. И.")
    page.click("text=Показать")
    assert page.locator(".item").count() == 1
    assert "Отметка «5+»" in page.locator(".item").inner_text()
    _shot(page, "deputy-items")
    page.click("button[data-ack]")
    assert "Принято в работу." in page.locator(".notice").inner_text()
    assert "teacher=" in page.url  # the filter survives the post
    page.goto(f"{site}/deputy/items")
    approve = page.locator("form[action$='/approve']").filter(has=page.locator("button")).nth(1)
    approve.locator("input[name=document]").fill("12-о")
    approve.locator("input[name=date]").fill("2026-10-06")
    approve.locator("input[name=signer]").fill("Директор Петров П. П.")
    approve.locator("button").click()
    assert "разрешённое исключение" in page.locator(".notice").inner_text()
    assert page.locator(".item.approved").count() == 1  # the exception stays listed
    _shot(page, "deputy-after")
    statuses = {v["responsible_person"]: v["status"] for v in list_violations(engine)}
    assert statuses == {"T1": "acknowledged", "T2": "approved"}


def test_each_role_lands_on_its_page(browser: Browser, site: str) -> None:
    teacher = _log_in(browser, site, "lee")
    assert teacher.url.endswith("/teacher")
    text = teacher.locator("main").inner_text()
    assert "Мои замечания: 1" in text and "Отметка «6»" in text and "5+" not in text
    assert "Как исправить" in text
    _shot(teacher, "teacher")
    denied = teacher.goto(f"{site}/deputy/items")
    assert denied is not None and denied.status == 403
    assert "Доступ запрещён" in teacher.locator("h1").inner_text()
    _shot(teacher, "teacher-403")

    operator = _log_in(browser, site, "operator")
    assert operator.url.endswith("/operator")
    assert "Выгрузка контингента" in operator.locator("h1").inner_text()
    _shot(operator, "operator-export")
    operator.click("text=Очередь СМЭВ")
    assert "Очередь отправки в СМЭВ" in operator.locator("h1").inner_text()
    _shot(operator, "operator-outbox")

    admin = _log_in(browser, site, "admin")
    assert admin.url.endswith("/admin")
    assert admin.locator("table tr").count() >= 2  # the sync run of the test store
    _shot(admin, "admin-runs")
    admin.click("text=Выйти")
    assert admin.url.endswith("/login")


def test_operator_downloads_and_admin_approves_a_held_run(
    browser: Browser, contingent_site: tuple[str, int], engine: Engine, tmp_path: Path
) -> None:
    site, held_run = contingent_site
    operator = _log_in(browser, site, "operator")
    assert "Ошибки проверки" in operator.locator("main").inner_text()
    _shot(operator, "operator-export-checked")
    with operator.expect_download() as xml_download:
        operator.click("text=XML")
    xml_path = tmp_path / "export.xml"
    xml_download.value.save_as(xml_path)
    check_xml(xml_path.read_bytes())
    with operator.expect_download() as xlsx_download:
        operator.click("text=XLSX")
    xlsx_path = tmp_path / "export.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    sheet = load_workbook(xlsx_path).active
    assert sheet is not None and sheet.max_row > 5
    operator.click("text=Очередь СМЭВ")
    _shot(operator, "operator-outbox-failed")
    operator.click("text=Вернуть в очередь")
    assert "возвращено в очередь" in operator.locator(".notice").inner_text()

    admin = _log_in(browser, site, "admin")
    assert "Задержанные массовые изменения: 1" in admin.locator("h1").inner_text()
    _shot(admin, "admin-held")
    admin.click(f"button[data-held-approve='{held_run}']")
    assert "утверждён и применён" in admin.locator(".notice").inner_text()
    assert list_held(engine) == []
    admin.click("text=Планы синхронизации")
    admin.fill("input[name=plan_id]", "proverka-vecher")
    admin.select_option("select[name=job]", "check")
    admin.fill("input[name=schedule]", "0 21 * * *")
    admin.fill("textarea[name=params]", "profile=kpgt")
    admin.click("form[action='/admin/plans'] button[type=submit]")
    assert "План добавлен." in admin.locator(".notice").inner_text()
    assert "proverka-vecher" in admin.locator("table").inner_text()
    _shot(admin, "admin-plans")
    assert [p.id for p in list_plans(engine)] == ["proverka-vecher"]


def test_admin_adds_and_removes_an_account(browser: Browser, site: str, tmp_path: Path) -> None:
    from web.users import load

    admin = _log_in(browser, site, "admin")
    admin.click("text=Учётные записи")
    form = admin.locator("form[action='/admin/users/added']")
    form.locator("input[name=login]").fill("petrova")
    form.locator("select[name=role]").select_option("deputy")
    form.locator("input[name=password]").fill("новый-пароль-1")
    form.locator("input[name=password2]").fill("новый-пароль-1")
    form.locator("button[type=submit]").click()
    assert "Учётная запись добавлена." in admin.locator(".notice").inner_text()
    assert "petrova" in admin.locator("table").inner_text()
    _shot(admin, "admin-users")
    admin.click("button[data-user-remove='petrova']")
    assert "Учётная запись удалена." in admin.locator(".notice").inner_text()
    assert "petrova" not in admin.locator("table").inner_text()
    assert "petrova" not in load(tmp_path / "users.json").users
