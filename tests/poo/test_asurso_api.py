"""The independent check: asurso-api 0.6.3 (its own venv, ``.venv-asurso``) against the ПОО emulator.

A generated college (tpt) is served at a moment inside its first semester; the
client logs in as a student and as a parent of two children and reads every view
it offers (``tests/poo/asurso_check.py``, run in a subprocess).  What its own
pydantic models accept must equal the scenario: lessons, homework, marks and
absences over two weeks, the current performance and dashboard, final marks,
the group's term sheet, chats, the organization.  A wrong password raises the
client's own ``UnauthorizedError``.  ``.ci/run`` creates the venv; a fresh
checkout gets it here the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.poo import EmulatorConfig, RunningEmulator, start_emulator
from emulators.poo.ids import Ids
from emulators.scenario.generate import generate
from emulators.scenario.world import World, WorldState, parse_moment

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-asurso" / "bin" / "python"
SCRIPT = Path(__file__).with_name("asurso_check.py")
WEEKS = 2
WORDS = {"2": "Two", "3": "Three", "4": "Four", "5": "Five", "зч": "Success", "нз": "Fail"}
NUMBERS = {"Two": 2, "Three": 3, "Four": 4, "Five": 5}
ABSENCES = {
    "УП": "IsAbsentByValidReason",
    "Б": "SickLeave",
    "НП": "IsAbsentByNotValidReason",
    "ОП": "IsLate",
    "ОТ": "IsAbsent",
}


def _ensure_venv() -> None:
    if PYTHON.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(ROOT / ".venv-asurso")], check=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "asurso-api==0.6.3"],
        check=True,
        timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def college() -> Iterator[tuple[World, RunningEmulator, dt.datetime]]:
    # A seed whose college has a two-child family without «ОТ» (which asurso-api cannot
    # read) and a student absent in the weeks read.
    world = World.from_dict(generate("tpt", 60, WEEKS, 11))
    # Inside the first semester, after the final marks are entered: every view has data.
    as_of = parse_moment(str(world.meta["lessons_until"])) - dt.timedelta(days=3)
    running = start_emulator(EmulatorConfig(world=world, as_of=as_of, tenant="spo_1"))
    try:
        yield world, running, as_of
    finally:
        running.stop()


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _first_monday(world: World) -> dt.date:
    start = parse_moment(str(world.meta["starts_at"])).date()
    return start - dt.timedelta(days=start.weekday())


def _run(emu: RunningEmulator, login: str, password: str, world: World) -> subprocess.Popen[str]:
    _ensure_venv()
    return subprocess.Popen(
        [str(PYTHON), str(SCRIPT), emu.url, login, password,
         _first_monday(world).isoformat(), str(WEEKS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _read(emu: RunningEmulator, account: dict[str, Any], world: World) -> dict[str, Any]:
    proc = _run(emu, str(account["login"]), str(account["password"]), world)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-3000:]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _name(person: dict[str, Any]) -> str:
    return " ".join(
        str(person.get(k) or "") for k in ("last_name", "first_name", "middle_name")
    ).strip()


class Truth:
    """What the scenario says one student sees, in the client's terms."""

    def __init__(self, world: World, st: WorldState, today: dt.date, sid: str) -> None:
        subjects = {k: str(r["name"]) for k, r in st.kind("subject").items()}
        spans = [
            (str(e["group_id"]), _day(e["starts_on"]), _day(e["ends_on"]) if e.get("ends_on") else None)
            for e in st.kind("enrolment").values()
            if str(e["student_id"]) == sid
        ]  # fmt: skip

        def group_on(day: dt.date) -> str | None:
            return next((g for g, a, b in spans if a <= day and (b is None or day <= b)), None)

        first = _first_monday(world)
        last = first + dt.timedelta(weeks=WEEKS) - dt.timedelta(days=1)
        self.group = group_on(today)
        lessons = {
            lid: r
            for lid, r in st.kind("lesson").items()
            if first <= _day(r["date"]) <= last and group_on(_day(r["date"])) == str(r["group_id"])
        }

        def where(r: dict[str, Any]) -> tuple[str, str]:
            return _day(r["date"]).isoformat(), subjects[str(r["subject_id"])]

        self.lessons = Counter(where(r) for r in lessons.values())
        self.marks: Counter[tuple[str, str, str]] = Counter()
        self.finals: dict[str, str] = {}
        numeric: dict[tuple[str, str], list[str]] = defaultdict(list)
        for m in st.kind("mark").values():
            if str(m["student_id"]) != sid or str(m["value"]) not in WORDS:
                continue
            word = WORDS[str(m["value"])]
            if m.get("final_kind"):
                self.finals[subjects[str(m["subject_id"])]] = word
                continue
            lesson = lessons.get(str(m.get("lesson_id")))
            if lesson is None:
                continue
            self.marks[(*where(lesson), word)] += 1
            if word in NUMBERS and _day(lesson["date"]) <= today:
                numeric[where(lesson)].append(word)
        self.homework = Counter(
            (*where(lessons[str(h["lesson_id"])]), str(h["text"]))
            for h in st.kind("homework").values()
            if str(h["lesson_id"]) in lessons
        )
        by_day: dict[str, str] = {}
        by_lesson: dict[str, str] = {}
        for a in st.kind("absence").values():
            if str(a["student_id"]) != sid or a["code"] not in ABSENCES:
                continue
            if a.get("lesson_id"):
                by_lesson[str(a["lesson_id"])] = ABSENCES[a["code"]]
            else:
                by_day[_day(a["date"]).isoformat()] = ABSENCES[a["code"]]
        self.absences: Counter[tuple[str, str, str]] = Counter()
        for lid, r in lessons.items():
            code = by_lesson.get(lid) or by_day.get(_day(r["date"]).isoformat())
            if code:
                self.absences[(*where(r), code)] += 1
        self.performance = {
            (subject, day, tuple(sorted(words))) for (day, subject), words in numeric.items()
        }
        per_subject: dict[str, list[int]] = defaultdict(list)
        for (_, subject), words in numeric.items():
            per_subject[subject].extend(NUMBERS[w] for w in words)
        self.dashboard = {s: round(sum(v) / len(v), 2) for s, v in per_subject.items()}


def _lessons_seen(views: dict[str, Any]) -> dict[str, Counter[tuple[str, ...]]]:
    seen: dict[str, Counter[tuple[str, ...]]] = {
        k: Counter() for k in ("lessons", "marks", "homework", "absences")
    }
    for day in views["lessons"]:
        date = day["date_raw"][:10]
        for lesson in day["lessons"]:
            key = (date, lesson["name"])
            seen["lessons"][key] += 1
            book = lesson["gradebook"]
            if book["absence_type"]:
                seen["absences"][(*key, book["absence_type"])] += 1
            for task in book["tasks"]:
                if task["type"] == "Home":
                    seen["homework"][(*key, task["topic"])] += 1
                if task["mark"]:
                    seen["marks"][(*key, task["mark"])] += 1
    return seen


def _check_student(views: dict[str, Any], truth: Truth) -> None:
    seen = _lessons_seen(views)
    assert sum(truth.marks.values()) > 5 and sum(truth.homework.values()) > 0
    assert seen["lessons"] == truth.lessons
    assert seen["marks"] == truth.marks
    assert seen["homework"] == truth.homework
    assert seen["absences"] == truth.absences and seen["absences"]
    performance = {
        (item["subject_name"], d["raw_day"][:10], tuple(sorted(d["mark_values"])))
        for item in views["performance"]["days_with_marks_for_subject"]
        for d in item["days_with_marks"]
        if d["mark_values"]
    }
    assert performance == truth.performance
    dashboard = {s["name"]: s["mark"] for s in views["dashboard"]["subjects"]}
    assert dashboard == truth.dashboard
    finals = {
        name: value["value"]
        for name, marks in views["attestation_marks"].items()
        for value in marks.values()
    }
    assert finals == truth.finals and finals


def _pick(world: World, st: WorldState) -> tuple[dict[str, Any], dict[str, Any]]:
    marked = {str(m["student_id"]) for m in st.kind("mark").values() if m.get("lesson_id")}
    studying = {
        str(e["student_id"])
        for e in st.kind("enrolment").values()
        if e.get("status") in (None, "studying") and not e.get("ends_on")
    }
    # asurso-api's ``AbsenceType`` lacks the vendor's ``IsAbsent`` (ОТ; P-VEN ``global.js``,
    # P-DS): a client gap (poo-emulated.md §7), so the accounts read have no ОТ.
    absent = {str(a["student_id"]) for a in st.kind("absence").values() if a["code"] == "ОТ"}
    ok = (marked & studying) - absent
    student = next(a for a in world.accounts_for("student") if a["person_id"] in ok)
    parent = next(
        a
        for a in world.accounts_for("parent")
        if len(a.get("children", [])) == 2 and set(a["children"]) <= ok
    )
    return student, parent


def test_asurso_api_reads_every_view_equal_to_the_scenario(
    college: tuple[World, RunningEmulator, dt.datetime],
) -> None:
    world, emu, as_of = college
    st = world.state_as_of(as_of, platform="poo")
    today = as_of.astimezone(emu.emulator.state().zone).date()
    ids = Ids(world)
    student, parent = _pick(world, st)
    institution = next(iter(st.kind("institution").values()))
    director = next(p for p in st.kind("person").values() if "director" in p.get("roles", ()))
    groups = st.kind("group")

    for account, children in ((student, [student["person_id"]]), (parent, parent["children"])):
        seen = _read(emu, account, world)
        person = st.kind("person")[account["person_id"]]
        tenant = seen["login"]["tenants"][seen["login"]["tenant_name"]]
        assert (tenant["last_name"], tenant["first_name"]) == (
            person["last_name"],
            person["first_name"],
        )
        wanted = {str(ids.of("person", c)): c for c in children}
        assert [str(s["id"]) for s in tenant["student_role"]["students"]] == list(wanted)
        assert seen["sid"] == next(iter(wanted))
        assert seen["info"]["are_chats_enabled"] and seen["info"]["is_reports_menu_enabled"]
        org = seen["organization"]
        assert org["name"] == institution["name"] and org["short_name"] == institution["short_name"]
        assert org["director_name"] == _name(director)
        assert org["address"]["region"] == institution["region"]
        assert tenant["settings"]["organization"] == org
        truths = {pid: Truth(world, st, today, sid) for pid, sid in wanted.items()}
        chat_type = "GroupChat" if account is student else "ParentChat"
        assert [(c["name"], c["chat_type"]) for c in seen["chats"]] == [
            (groups[t.group]["name"], chat_type) for t in truths.values() if t.group
        ]
        assert set(seen["students"]) == set(wanted)
        for pid, truth in truths.items():
            views = seen["students"][pid]
            _check_student(views, truth)
            sheet = views["group_attestation"]
            assert truth.group is not None
            assert sheet["department_name"] == (groups[truth.group].get("department") or "")
            assert (sheet["term_type"], sheet["term_number"]) == ("Semester", 1)
            assert int(pid) in {s["id"] for s in sheet["students"]}
        assert seen["logout"] is True
    assert not emu.emulator.sessions.live_for(str(student["login"]))


def test_asurso_api_wrong_password_raises_its_own_error(
    college: tuple[World, RunningEmulator, dt.datetime],
) -> None:
    world, emu, _ = college
    proc = _run(emu, str(world.accounts_for("student")[0]["login"]), "неверный", world)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "UnauthorizedError" in err
