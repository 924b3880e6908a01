"""Honesty: a rule whose facts the platform cannot carry is reported «не проверяется» with the
reason, never a silent zero, and the scenario generator does not plant it there."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from canonical.capabilities import not_carried
from emulators.scenario.generate import build
from policies.engine import run_check
from policies.profiles import load_profile
from reports.deputy import deputy_html, deputy_report_from_store
from tests.policies.store import rec, sync

UNCARRIED_ON_POO = ("marks.work_type.required", "staff.card.deadline")


def test_generator_does_not_plant_what_poo_cannot_show() -> None:
    truth = build("tpt", 20, 1, 1).truth
    planted = {c["rule_id"] for c in truth["cases"]}
    skipped = {n["rule_id"]: n["reason"] for n in truth["not_planted"]}
    for rule_id in UNCARRIED_ON_POO:
        assert rule_id not in planted
        assert skipped[rule_id].startswith("не проверяется: ")
    # NetSchool marks may lack a kind of work: talmenka's rule is planted and checked
    assert not_carried("netschool", "marks.work_type.required") is None
    assert "marks.work_type.required" in {
        c["rule_id"] for c in build("talmenka", 20, 1, 1).truth["cases"]
    }


def test_check_and_report_say_why_a_rule_is_not_checked(engine: Engine) -> None:
    tpt = load_profile("tpt")
    assert tpt.platform == "poo"
    institution = rec(
        "institution",
        "I",
        name="ОГБПОУ «ТПТ»",
        institution_kind="college",
        profile_id="tpt",
        timezone="Asia/Tomsk",
    )
    group = rec("group", "G1", name="ТМ-21", group_kind="academic_group")
    sync(engine, dt.datetime(2026, 10, 14, 8, tzinfo=dt.UTC), {"structure": [institution, group]})
    report = run_check(engine, tpt)
    checked = {r.rule_id for r in report.rules}
    for rule_id in UNCARRIED_ON_POO:
        assert rule_id not in checked
        assert report.unchecked[rule_id] == not_carried("poo", rule_id)
    html = deputy_html(deputy_report_from_store(engine))
    assert "Не проверяется" in html
    assert "не проверяется: платформа не передаёт дату вступления сотрудника в должность" in html


def test_netschool_cannot_carry_plans_nor_talmenkas_document_dates() -> None:
    talmenka = load_profile("talmenka")
    assert set(talmenka.unchecked_rules()) == {
        "lesson.topic.matches_plan",
        "absence.reason.deadline",
    }
    # counted from the absence itself (weekly, mazanka 3.4.1) the rule needs no document date
    assert not_carried("netschool", "absence.reason.deadline", "mazanka") is None
    truth = build("talmenka", 20, 1, 1).truth
    planted = {c["rule_id"] for c in truth["cases"]}
    assert not planted & set(talmenka.unchecked_rules())
