"""Stable integer ids for scenario records, the way the vendor's database would number them.

The platform numbers everything with integers; a scenario names records with
strings.  Numbering each kind in creation order over the *whole* scenario
(not the state at the clock) keeps an id the same whatever the clock says and
however often the emulator restarts, so a second pull sees the same ids.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emulators.scenario.world import World

_BASES = {
    "person": 100_000,
    "group": 2_000,
    "subject": 3_000,
    "lesson": 1_000_000,
    "movement_order": 40_000,
    "plan": 50_000,
    "plan_item": 600_000,
    "period": 10,
    "institution": 1,
    "homework": 0,
}

TASK_SLOTS = 10
"""Tasks of one kind of work in one lesson (the i-th mark of a student on that kind)."""


def _order_key(row: dict[str, Any]) -> tuple[dt.datetime, str]:
    return (row["created_at"], str(row["id"]))


class Ids:
    """Integer ids per (kind, scenario id), plus the derived ids of things a scenario has no table for."""

    def __init__(self, world: World) -> None:
        self._ids: dict[str, dict[str, int]] = {}
        self._back: dict[str, dict[int, str]] = {}
        for kind, table in world.tables.items():
            rows = sorted(table.dicts(), key=_order_key)
            base = _BASES.get(kind, 1)
            mapping = {str(row["id"]): base + n for n, row in enumerate(rows)}
            self._ids[kind] = mapping
            self._back[kind] = {v: k for k, v in mapping.items()}
        departments: set[str] = set()
        for row in world.tables["group"].dicts() if "group" in world.tables else []:
            if row.get("department"):
                departments.add(str(row["department"]))
        work_kinds: set[str] = set()
        for row in world.tables["mark"].dicts() if "mark" in world.tables else []:
            work_kinds.add(work_kind_key(row))
        for kind, _id, _at, name, value in world.edits:
            if kind == "group" and name == "department" and value:
                departments.add(str(value))
            if kind == "mark" and name in ("work_kind_id", "work_kind_name"):
                work_kinds.add(str(value or ""))
        self.departments = {name: 700 + n for n, name in enumerate(sorted(departments))}
        self.work_kind_slots = {key: 1 + n for n, key in enumerate(sorted(work_kinds))}

    def of(self, kind: str, scenario_id: Any) -> int:
        return self._ids[kind][str(scenario_id)]

    def get(self, kind: str, scenario_id: Any) -> int | None:
        if scenario_id is None:
            return None
        return self._ids.get(kind, {}).get(str(scenario_id))

    def back(self, kind: str, number: int) -> str | None:
        return self._back.get(kind, {}).get(number)

    def gradebook(self, group_pid: int, period_pid: int) -> int:
        """One group's gradebook of one term (``entries[].id``)."""
        return group_pid * 100 + period_pid

    @staticmethod
    def split_gradebook(gradebook_id: int) -> tuple[int, int]:
        return gradebook_id // 100, gradebook_id % 100

    @staticmethod
    def gradebook_student(gradebook_id: int, person_pid: int) -> int:
        """The gradebook-local student id (``students[].id``, keys of ``markSets``)."""
        return gradebook_id * 1_000_000 + person_pid

    def task(self, lesson_pid: int, slot: int, index: int) -> int:
        """Slot 0 holds homework; slots from 1 are kinds of work."""
        return lesson_pid * 1000 + slot * TASK_SLOTS + index


def work_kind_key(row: dict[str, Any]) -> str:
    return str(row.get("work_kind_id") or row.get("work_kind_name") or "")
