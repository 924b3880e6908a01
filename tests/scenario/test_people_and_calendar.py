"""Realistic data: valid СНИЛС, well-formed names and documents, lessons only on lesson days."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from canonical.normalize import is_valid_snils
from emulators.scenario.calendar import WorkCalendar, school_calendar
from emulators.scenario.catalog import PROFILES
from emulators.scenario.names import MALE_NAMES
from emulators.scenario.profiles import PROFILES as FACTS
from tests.scenario.conftest import generated

NAME = re.compile(r"^[А-ЯЁ][а-яё]+(-[А-ЯЁ][а-яё]+)?$")
SON = ("вич", "ич")
DAUGHTER = ("вна", "чна")


def _rows(scenario: dict, kind: str) -> list[dict]:  # type: ignore[type-arg]
    table = scenario["tables"][kind]
    return [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]


@pytest.mark.parametrize("profile", PROFILES)
def test_snils_valid_unique_and_documents_well_formed(profile: str) -> None:
    people = _rows(generated(profile).scenario, "person")
    snils = [p["snils"] for p in people if p["snils"]]
    assert len(snils) > 100
    assert all(is_valid_snils(s) for s in snils)
    assert len(set(snils)) == len(snils)
    assert all(re.fullmatch(r"\d{3}-\d{3}-\d{3} \d{2}", s) for s in snils)
    for p in people:
        if p["document_type"] == "21" and p["document_series"] is not None:
            assert re.fullmatch(r"\d{4}", p["document_series"]), p["id"]
        if p["document_type"] == "21" and p["document_number"] is not None:
            assert re.fullmatch(r"\d{6}", p["document_number"])
    parents = [p for p in people if "parent" in p["roles"]]
    assert parents and all(
        p["document_type"] == "21" for p in parents if p["document_series"] is not None
    )


@pytest.mark.parametrize("profile", ["tpt", "mazanka"])
def test_names_well_formed_with_patronymics_by_sex_and_father(profile: str) -> None:
    scenario = generated(profile).scenario
    people = {p["id"]: p for p in _rows(scenario, "person")}
    for p in people.values():
        for part in (p["last_name"], p["first_name"], p["middle_name"]):
            assert NAME.match(part), (p["id"], part)
        ending = SON if p["sex"] == "male" else DAUGHTER
        assert p["middle_name"].endswith(ending), (p["id"], p["middle_name"])
    patronymic = {name: (son, daughter) for name, son, daughter in MALE_NAMES}
    checked = 0
    for link in _rows(scenario, "parent_link"):
        if link["relation"] != "father":
            continue
        father, child = people[link["parent_id"]], people[link["child_id"]]
        son, daughter = patronymic[father["first_name"]]
        assert child["middle_name"] == (son if child["sex"] == "male" else daughter)
        checked += 1
    assert checked > 10


def test_some_parents_have_two_children_and_accounts_have_cyrillic_passwords() -> None:
    scenario = generated("tpt", 300).scenario
    links = _rows(scenario, "parent_link")
    per_parent: dict[str, int] = {}
    for link in links:
        per_parent[link["parent_id"]] = per_parent.get(link["parent_id"], 0) + 1
    assert any(n >= 2 for n in per_parent.values())
    accounts = scenario["accounts"]
    roles = {a["role"] for a in accounts}
    assert {"administrator", "deputy", "teacher", "class_teacher", "student", "parent"} <= roles
    assert any(re.search("[а-яё]", a["password"], re.I) for a in accounts)
    assert any(len(a.get("children", [])) >= 2 for a in accounts if a["role"] == "parent")
    assert all(a["school_id"] == FACTS["tpt"].school_id for a in accounts)
    assert len({a["login"] for a in accounts}) == len(accounts)


@pytest.mark.parametrize("profile", PROFILES)
def test_lessons_only_on_lesson_days(profile: str) -> None:
    generated_ = generated(profile, 120, 12)
    scenario = generated_.scenario
    facts = FACTS[profile]
    _, _, _, vacations = school_calendar(facts.kind, 2024)
    cal = WorkCalendar(facts.week_days, (2024, 2025), vacations)
    days = {dt.date.fromisoformat(row["date"]) for row in _rows(scenario, "lesson")}
    assert days
    for day in days:
        assert day.weekday() != 6, day
        assert day not in cal.days_off, day
        assert not any(v.covers(day) for v in vacations if v.grades is None), day
        if day.weekday() == 5:
            assert facts.week_days == 6 or day in cal.moved_saturdays, day
    # 4 November 2024 (a Monday holiday) has no lessons; 28 December 2024 (moved Saturday) has
    assert dt.date(2024, 11, 4) not in days
    assert dt.date(2024, 12, 28) in days
    if facts.week_days == 5:
        assert not any(d.weekday() == 5 and d not in cal.moved_saturdays for d in days)


def test_moved_saturday_follows_the_timetable_of_the_day_it_replaces() -> None:
    cal = WorkCalendar(5, (2024, 2025))
    # 28.12.2024 works instead of Monday 30.12.2024
    assert cal.timetable_weekday(dt.date(2024, 12, 28)) == 0
    assert cal.is_working_day(dt.date(2024, 12, 28))
    assert not cal.is_working_day(dt.date(2024, 12, 30))
    assert cal.add_working_days(dt.date(2024, 12, 27), 2) == dt.date(2025, 1, 9)
    six = WorkCalendar(6, (2024, 2025))
    assert six.add_working_days(dt.date(2024, 11, 1), 1) == dt.date(2024, 11, 2)
    assert six.add_working_days(dt.date(2024, 11, 2), 1) == dt.date(2024, 11, 5)


@pytest.mark.parametrize(("profile", "code"), [("tpt", "УП"), ("talmenka", "ОСВ")])
def test_pe_exemption_is_recorded_in_a_word_the_platform_has(profile: str, code: str) -> None:
    """«Модуль ПОО» has no «освобождён»: there an exempt student is absent for a valid reason,
    else the journal would show them present at PE and never marked (marks.density)."""
    scenario = generated(profile, 90, 3).scenario
    subjects = {s["id"] for s in _rows(scenario, "subject") if s["name"] == "Физическая культура"}
    pe_lessons = {x["id"] for x in _rows(scenario, "lesson") if x["subject_id"] in subjects}
    absences = _rows(scenario, "absence")
    exempt = [a for a in absences if a["lesson_id"] in pe_lessons and a["valid"] is True]
    assert exempt and {a["code"] for a in exempt} == {code}
    if code != "ОСВ":
        assert not [a for a in absences if a["code"] == "ОСВ"]


@pytest.mark.parametrize("profile", ["kpgt", "talmenka"])
def test_no_mark_or_absence_before_the_student_is_in_the_journal(profile: str) -> None:
    """A newcomer's order is often entered a day after it takes effect: until then the
    journal has no such student, so nobody can have marked them or noted an absence."""
    scenario = generated(profile, 90, 3).scenario
    entered: dict[tuple[str, str], dt.datetime] = {}
    for e in _rows(scenario, "enrolment"):
        at = dt.datetime.fromisoformat(e["created_at"])
        key = (e["student_id"], e["group_id"])
        entered[key] = min(at, entered.get(key, at))
    group_of = {x["id"]: x["group_id"] for x in _rows(scenario, "lesson")}
    early = [
        (kind, r["id"])
        for kind in ("mark", "absence")
        for r in _rows(scenario, kind)
        if r["lesson_id"] in group_of
        and dt.datetime.fromisoformat(r["created_at"])
        < entered[(r["student_id"], group_of[r["lesson_id"]])]
    ]
    assert early == []
