"""The lesson line's time: the journal's bell time first, else the profile's bells, else none."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.lesson_context import (
    LessonFacts,
    bell_span,
    lesson_line,
    lesson_line_dated,
    parse_bells,
    profile_bells,
)

BELLS = parse_bells({"1": "08:30-09:15", "3": "10:00–10:45", "4": ["11:00", "11:45"]})


def _facts(number: int | None, starts_at: str = "", ends_at: str = "") -> LessonFacts:
    return LessonFacts(
        subject="Математика",
        day="12.03.2025",
        number=number,
        teacher="Котова О. И.",
        group="2003",
        starts_at=starts_at,
        ends_at=ends_at,
        bell=bell_span(number, starts_at, ends_at, BELLS),
    )


def test_parse_bells_reads_spans_and_lists_and_skips_junk() -> None:
    assert BELLS == {1: ("08:30", "09:15"), 3: ("10:00", "10:45"), 4: ("11:00", "11:45")}
    assert parse_bells({"x": "08:30-09:15", "2": "утро", "5": 7, "6": "9:00-9:45"}) == {}


def test_journal_time_wins_over_the_bell_schedule() -> None:
    """A lesson moved to another hour keeps the journal's time, not the schedule's."""
    assert bell_span(3, "12:00", "12:45", BELLS) == "12:00–12:45"
    assert bell_span(3, "12:00", "", BELLS) == "12:00"


def test_bell_schedule_fills_in_when_the_journal_has_no_time() -> None:
    line = lesson_line_dated(_facts(3), "Иванов Иван")
    assert line == (
        "12.03.2025, 3-й урок (10:00–10:45), Математика, группа 2003; "
        "преподаватель Котова О. И.; обучающийся Иванов Иван"
    )
    assert lesson_line(_facts(3)) == (
        "Математика, 3-й урок 12.03.2025, 10:00–10:45; преподаватель Котова О. И."
    )


def test_no_time_when_neither_journal_nor_schedule_knows_it() -> None:
    assert bell_span(2, "", "", BELLS) == ""
    assert bell_span(None, "", "", BELLS) == ""
    assert lesson_line_dated(_facts(2)).startswith("12.03.2025, 2-й урок, Математика")
    assert lesson_line(_facts(2)) == "Математика, 2-й урок 12.03.2025; преподаватель Котова О. И."


def test_facts_without_a_resolved_bell_still_show_the_journal_start() -> None:
    facts = LessonFacts("Химия", "12.03.2025", 1, "", "", starts_at="08:30")
    assert lesson_line_dated(facts) == "12.03.2025, 1-й урок (08:30), Химия"


def test_profile_bells_from_a_profile_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile's ``[bells]`` table is what the report falls back on; none gives no times."""
    import policies.profiles as profiles

    (tmp_path / "bellschool.toml").write_text(
        'id = "bellschool"\ntimezone = "Asia/Tomsk"\n[bells]\n1 = "08:30-09:15"\n3 = "10:00-10:45"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(profiles, "_profile_file", lambda pid: tmp_path / f"{pid}.toml")
    assert profile_bells("bellschool") == {1: ("08:30", "09:15"), 3: ("10:00", "10:45")}
    assert profile_bells("nosuchprofile") == {}
    assert profile_bells(None) == {}
