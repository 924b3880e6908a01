"""Realistic trajectories for the forecast's backtest: marks that drift, absences in spells.

The generator gives each student one level all year (2.9 to 4.9), marks scattered round it, and
absences lesson by lesson at random; that flatters any forecast ("current average,
rounded" is nearly always right).  Real students drift (a weekly random walk, plus a
steady slope of their own in each subject), fall ill for days at a time, and a student
who slides often starts skipping.  This module reshapes a generated scenario that way
for one period, and plants the period marks again by the rule (the weighted average
rounded half up; «н/а» without marks or past the missed-lessons limit).

It is a separate step the backtest (``benchmarks/forecast.py``) applies to its own copy
of a scenario: ``generate.build`` is untouched, so the demos' scenarios (and the
violations planted in them) stay byte-identical for a seed.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

NOT_ATTESTED = "н/а"


@dataclass(frozen=True)
class Shape:
    """How far trajectories move (marks) and how absences come (spells)."""

    spread: float = 0.5
    """The spread of a student's own offset from the generator's level (marks): the
    generator draws levels from 2.9 to 4.9, so nobody fails without one."""
    drift: float = 0.6
    """The spread of a student's random walk by the period's end (marks)."""
    slope: float = 0.3
    """The spread of a student's own steady slope in one subject over the period (marks)."""
    spells: float = 0.8
    """Illness spells per student per period on average (gamma-spread between students)."""
    spell_days: tuple[int, int] = (3, 12)
    """Calendar days an illness spell lasts."""
    skipping: float = 0.35
    """Chance per lesson of skipping for each mark a student has slid down."""
    max_missed_share: float | None = 0.5
    """Missing more than this share of the period's lessons: «н/а» (None: never)."""


def _cols(table: dict[str, Any]) -> dict[str, int]:
    return {c: i for i, c in enumerate(table["columns"])}


def _walks(
    rng: random.Random, students: list[str], weeks: int, shape: Shape
) -> dict[str, list[float]]:
    step = shape.drift / math.sqrt(max(1, weeks))
    walks: dict[str, list[float]] = {}
    for s in students:
        level, path = rng.gauss(0.0, shape.spread), []
        for _ in range(weeks + 1):
            path.append(level)
            level += rng.gauss(0.0, step)
        walks[s] = path
    return walks


def reshape(
    scenario: dict[str, Any],
    period_id: str,
    seed: int,
    shape: Shape = Shape(),
) -> None:
    """Reshape ``scenario`` in place for the period ``period_id`` (see the module's text)."""
    rng = random.Random(f"trajectories-{seed}")
    tables = scenario["tables"]
    pt, c_p = tables["period"], _cols(tables["period"])
    prow = next(r for r in pt["rows"] if r[0] == period_id)
    starts = dt.date.fromisoformat(prow[c_p["starts_on"]])
    ends = dt.date.fromisoformat(prow[c_p["ends_on"]])
    weeks = (ends - starts).days // 7 + 1

    lt, c_l = tables["lesson"], _cols(tables["lesson"])
    lessons = {
        r[0]: r for r in lt["rows"] if starts <= dt.date.fromisoformat(r[c_l["date"]]) <= ends
    }
    et, c_e = tables["enrolment"], _cols(tables["enrolment"])
    members: dict[str, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    for r in et["rows"]:
        members[r[c_e["group_id"]]].append(
            (
                r[c_e["student_id"]],
                dt.date.fromisoformat(r[c_e["starts_on"]]),
                dt.date.fromisoformat(r[c_e["ends_on"]]) if r[c_e["ends_on"]] else None,
            )
        )
    students = sorted({s for rows in members.values() for s, _, _ in rows})
    walks = _walks(rng, students, weeks, shape)
    slopes: dict[tuple[str, str], float] = defaultdict(lambda: rng.gauss(0.0, shape.slope))

    def shift(student: str, subject: str, day: dt.date) -> float:
        week = min(weeks, (day - starts).days // 7)
        share = (day - starts).days / max(1, (ends - starts).days)
        return walks[student][week] + slopes[(student, subject)] * share

    # illness spells: every lesson of the student's group on those days is missed
    ill: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for s in students:
        rate = rng.gammavariate(2.0, shape.spells / 2.0)
        count = sum(1 for _ in range(8) if rng.random() < rate / 8)
        spells = []
        for _ in range(count):
            first = starts + dt.timedelta(days=rng.randrange(max(1, (ends - starts).days)))
            spells.append((first, first + dt.timedelta(days=rng.randint(*shape.spell_days) - 1)))
        ill[s] = spells

    at, c_a = tables["absence"], _cols(tables["absence"])
    absent = {(r[c_a["student_id"]], r[c_a["lesson_id"]]) for r in at["rows"]}
    added = 0
    for lid in sorted(lessons, key=lambda k: (lessons[k][c_l["date"]], k)):
        row = lessons[lid]
        day = dt.date.fromisoformat(row[c_l["date"]])
        for s, since, until in members[row[c_l["group_id"]]]:
            if not (since <= day and (until is None or day < until)) or (s, lid) in absent:
                continue
            sick = any(a <= day <= b for a, b in ill[s])
            slid = max(0.0, -shift(s, row[c_l["subject_id"]], day))
            if not sick and rng.random() >= shape.skipping * slid * slid:
                continue
            added += 1
            offset = row[c_l["created_at"]][-6:]
            at["rows"].append(
                [
                    f"bt-a{added}",
                    f"{day.isoformat()}T{row[c_l['starts_at']] or '09:00:00'}{offset}",
                    s,
                    lid,
                    day.isoformat(),
                    "Б" if sick else "ОТ",
                    True if sick else None,
                    None,
                ]
                + [None] * (len(at["columns"]) - 8)
            )
            absent.add((s, lid))

    mt, c_m = tables["mark"], _cols(tables["mark"])
    kept = []
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in mt["rows"]:
        if r[c_m["final_kind"]] is None and r[c_m["lesson_id"]] in lessons:
            if (r[c_m["student_id"]], r[c_m["lesson_id"]]) in absent:
                continue  # no mark at a lesson missed
            if r[c_m["numeric"]] is not None:
                day = dt.date.fromisoformat(r[c_m["date"]])
                moved = r[c_m["numeric"]] + shift(r[c_m["student_id"]], r[c_m["subject_id"]], day)
                value = min(5, max(2, math.floor(moved + 0.5)))
                r[c_m["value"]], r[c_m["numeric"]] = str(value), float(value)
                acc = sums[(r[c_m["student_id"]], r[c_m["subject_id"]])]
                weight = r[c_m["weight"]] or 1.0
                acc[0] += value * weight
                acc[1] += weight
        kept.append(r)
    mt["rows"] = kept

    held: dict[tuple[str, str], int] = defaultdict(int)
    missed: dict[tuple[str, str], int] = defaultdict(int)
    for row in lessons.values():
        day = dt.date.fromisoformat(row[c_l["date"]])
        for s, since, until in members[row[c_l["group_id"]]]:
            if since <= day and (until is None or day < until):
                held[(s, row[c_l["subject_id"]])] += 1
    for r in at["rows"]:
        if r[c_a["lesson_id"]] in lessons and r[c_a["code"]] not in ("ОП", "ОСВ"):
            missed[(r[c_a["student_id"]], lessons[r[c_a["lesson_id"]]][c_l["subject_id"]])] += 1
    for r in mt["rows"]:
        if r[c_m["final_kind"]] is None or r[c_m["period_id"]] != period_id:
            continue
        key = (r[c_m["student_id"]], r[c_m["subject_id"]])
        total = sums.get(key)
        too_many = (
            shape.max_missed_share is not None
            and held.get(key, 0) > 0
            and missed.get(key, 0) > shape.max_missed_share * held[key]
        )
        if r[c_m["value"]] == NOT_ATTESTED and not total:
            continue
        if too_many or not total or not total[1]:
            r[c_m["value"]], r[c_m["numeric"]] = NOT_ATTESTED, None
        else:
            value = min(5, max(2, math.floor(total[0] / total[1] + 0.5)))
            r[c_m["value"]], r[c_m["numeric"]] = str(value), float(value)
