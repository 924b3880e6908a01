"""The pages over real HTTP on loopback: login, CSRF, role scope, acknowledge and approve in the store."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from local_store.violations import list_violations
from tests.web.client import csrf_of, logged_in, post_form
from tests.web.world import PASSWORD


def _fingerprints(engine: Engine) -> dict[str, str]:
    """Responsible person → the 20-character reference the pages use."""
    return {
        str(v["responsible_person"]): str(v["fingerprint"])[:20] for v in list_violations(engine)
    }


def test_login_needed_wrong_password_refused_and_logout(site: str) -> None:
    with httpx.Client(base_url=site) as anonymous:
        assert anonymous.get("/deputy").headers["location"] == "/login"
        token = csrf_of(anonymous.get("/login").text)
        bad = anonymous.post(
            "/login", data={"csrf": token, "login": "zavuch", "password": "не тот"}
        )
        assert bad.status_code == 401 and "Неверный логин или пароль" in bad.text
        nobody = anonymous.post(
            "/login", data={"csrf": token, "login": "никто", "password": PASSWORD}
        )
        assert nobody.status_code == 401
    with logged_in(site, "zavuch") as deputy:
        assert deputy.get("/deputy").status_code == 200
        out = post_form(deputy, "/deputy", "/logout", {})
        assert out.status_code == 303
        assert deputy.get("/deputy").headers["location"] == "/login"


def test_forms_without_their_token_are_refused(site: str, engine: Engine) -> None:
    with httpx.Client(base_url=site) as anonymous:
        anonymous.get("/login")
        refused = anonymous.post("/login", data={"login": "zavuch", "password": PASSWORD})
        assert refused.status_code == 403
        assert anonymous.get("/deputy").headers["location"] == "/login"
    ref = _fingerprints(engine)["T1"]
    with logged_in(site, "zavuch") as deputy:
        forged = deputy.post(f"/deputy/items/{ref}/acknowledge", data={"csrf": "подделка"})
        assert forged.status_code == 403 and "Форма устарела" in forged.text
        bare = deputy.post(f"/deputy/items/{ref}/acknowledge")
        assert bare.status_code == 403
    assert {v["status"] for v in list_violations(engine)} == {"open"}


def test_deputy_sees_summary_acknowledges_and_approves(site: str, engine: Engine) -> None:
    refs = _fingerprints(engine)
    with logged_in(site, "zavuch") as deputy:
        summary = deputy.get("/deputy").text
        assert "ГБОУ «Школа № 1»" in summary and "Котова О. И." in summary and "Ли В. С." in summary
        assert summary.count("✗ 1") == 2  # the grid: each teacher, one item on 05.10
        listing = deputy.get("/deputy/items").text
        assert "Отметка «5+» за 05.10.2026 вне шкалы" in listing and "Отметка — 6" in listing
        ack = post_form(deputy, "/deputy/items", f"/deputy/items/{refs['T1']}/acknowledge", {})
        assert ack.status_code == 303
        approve = post_form(
            deputy,
            "/deputy/items",
            f"/deputy/items/{refs['T2']}/approve",
            {"document": "12-о", "date": "2026-10-06", "signer": "Директор Петров П. П."},
        )
        assert approve.status_code == 303
        kept = deputy.get("/deputy/items?status=approved").text
        assert "Отметка «6» за 05.10.2026 вне шкалы" in kept and "разрешённое исключение" in kept
        assert "Отметка «5+»" not in kept
    by_person = {v["responsible_person"]: v for v in list_violations(engine)}
    assert (
        by_person["T1"]["status"] == "acknowledged"
        and by_person["T1"]["acknowledged_by"] == "zavuch"
    )
    assert by_person["T2"]["status"] == "approved"
    assert by_person["T2"]["approval_document"] == "12-о"
    assert by_person["T2"]["approved_by"] == "Директор Петров П. П."


def test_teacher_sees_only_their_own_items(site: str, engine: Engine) -> None:
    refs = _fingerprints(engine)
    with logged_in(site, "kotova") as teacher:
        own = teacher.get("/teacher").text
        assert "Отметка «5+» за 05.10.2026 вне шкалы" in own and "Как исправить" in own
        assert "Отметка «6»" not in own
        assert teacher.get(f"/items/{refs['T1']}").status_code == 200
        other = teacher.get(f"/items/{refs['T2']}")
        assert other.status_code == 403 and "Отметка «6»" not in other.text
        for forbidden in (
            "/deputy",
            "/deputy/items",
            "/deputy/reports/xlsx",
            "/operator",
            "/operator/export.xml",
            "/admin",
        ):
            assert teacher.get(forbidden).status_code == 403, forbidden
        refused = post_form(teacher, "/teacher", f"/deputy/items/{refs['T1']}/acknowledge", {})
        assert refused.status_code == 403
    assert {v["status"] for v in list_violations(engine)} == {"open"}


def test_deputy_downloads_the_report(site: str) -> None:
    with logged_in(site, "zavuch") as deputy:
        xlsx = deputy.get("/deputy/reports/xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        html = deputy.get("/deputy/reports/html")
        assert "Котова О. И." in html.text


def test_no_name_goes_into_a_link(site: str) -> None:
    """Filters by person use an opaque token: no name in any href or form action."""
    import re
    from urllib.parse import unquote

    with logged_in(site, "zavuch") as deputy:
        links: list[str] = []
        for page in ("/deputy", "/deputy/items", "/deputy/items?status=open"):
            links += re.findall(r'(?:href|action)="([^"]+)"', deputy.get(page).text)
        teacher_links = [link for link in links if "teacher=" in link]
        assert teacher_links, "the summary links each teacher to their filtered list"
        assert not any("Котова" in unquote(link) or "Ли " in unquote(link) for link in links)
        filtered = deputy.get(teacher_links[0]).text
        assert filtered.count('class="item ') == 1
