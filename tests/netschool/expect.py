"""What a NetSchool pull *should* put in the store, computed from the scenario itself.

Each record becomes a comparable tuple of the fields NetSchool exposes, with
scenario ids translated to NetSchool's integer ids.  Marks have no id of their
own on the platform, so they are compared by their natural key (student,
lesson, kind of work) and content.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from emulators.netschool.ids import ns_id
from emulators.netschool.school import STAFF_ROLES, sg_key
from emulators.scenario.world import World
from local_store.history import records_as_of

Row = tuple[Any, ...]
RELATIONS = ("mother", "father", "guardian")
"""Relations a student's card names (others are stored as ``parent``)."""


KINDS = (
    "group",
    "subject",
    "period",
    "holiday",
    "person",
    "parent_link",
    "subgroup",
    "subgroup_member",
    "teaching_assignment",
    "work_kind",
    "lesson",
    "homework",
    "mark",
    "final",
    "absence",
)
"""``final`` is the period marks (marks without a lesson), compared apart from the journal's."""


def _p(sid: Any) -> str | None:
    return None if sid is None else str(ns_id("person", str(sid)))


def _d(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _t(value: Any) -> dt.time | None:
    if value is None:
        return None
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def _m(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def expected(world: World, moment: dt.datetime) -> dict[str, Counter[Row]]:
    st = world.state_as_of(moment, platform="netschool")
    out: dict[str, Counter[Row]] = {k: Counter() for k in KINDS}
    for sid, r in st.kind("group").items():
        out["group"][
            (str(ns_id("group", sid)), r["name"], r.get("grade"), _p(r.get("curator_id")))
        ] += 1
    for sid, r in st.kind("subject").items():
        out["subject"][(str(ns_id("subject", sid)), r["name"], r.get("short_name") or "")] += 1
    for sid, r in st.kind("period").items():
        out["period"][
            (
                str(ns_id("period", sid)),
                r["name"],
                r["number"],
                _d(r["starts_on"]),
                _d(r["ends_on"]),
            )
        ] += 1
    for sid, r in st.kind("holiday").items():
        out["holiday"][
            (str(ns_id("holiday", sid)), r["name"], _d(r["starts_on"]), _d(r["ends_on"]))
        ] += 1
    listed = {str(r["student_id"]) for r in st.kind("enrolment").values()}
    # parents reach the staff surface through their children's cards only
    carded: set[str] = set()
    for r in st.kind("parent_link").values():
        if str(r["child_id"]) in listed:
            carded.add(str(r["parent_id"]))
            relation = str(r.get("relation") or "parent")
            out["parent_link"][
                (
                    _p(r["parent_id"]),
                    _p(r["child_id"]),
                    relation if relation in RELATIONS else "parent",
                )
            ] += 1
    for sid, r in st.kind("person").items():
        roles = set(r.get("roles") or ())
        if not (roles & STAFF_ROLES or ("student" in roles and sid in listed) or sid in carded):
            continue
        out["person"][(_p(sid), r["last_name"], r["first_name"], r.get("middle_name") or "")] += 1
    for sid, r in st.kind("subgroup").items():
        out["subgroup"][
            (
                str(ns_id("subgroup", sid)),
                str(ns_id("group", r["group_id"])),
                r["name"],
                str(ns_id("subject", r["subject_id"])),
            )
        ] += 1
    for r in st.kind("subgroup_member").values():
        out["subgroup_member"][(str(ns_id("subgroup", r["subgroup_id"])), _p(r["student_id"]))] += 1
    for r in st.kind("teaching_assignment").values():
        sub = r.get("subgroup_id")
        out["teaching_assignment"][
            (
                str(ns_id("group", r["group_id"])),
                str(ns_id("subject", r["subject_id"])),
                _p(r["teacher_id"]),
                str(ns_id("subgroup", sub)) if sub else None,
            )
        ] += 1
    weights: dict[str, Any] = {}
    for sid, r in st.kind("work_kind").items():
        out["work_kind"][
            (
                str(ns_id("work_kind", sid)),
                r["name"],
                r.get("short_name") or "",
                bool(r.get("is_control")),
                bool(r.get("is_external")),
            )
        ] += 1
        weights[sid] = r.get("weight")
    lessons = st.kind("lesson")
    for sid, r in lessons.items():
        sub = r.get("subgroup_id")
        out["lesson"][
            (
                str(ns_id("lesson", sid)),
                str(ns_id("group", r["group_id"])),
                str(ns_id("subject", r["subject_id"])),
                _p(r.get("teacher_id")),
                str(sg_key(r["group_id"], r["subject_id"], sub)) if sub else None,
                _d(r["date"]),
                r.get("number"),
                _t(r.get("starts_at")),
                _t(r.get("ends_at")),
                r.get("topic"),
                r.get("hours"),
                r.get("room"),
            )
        ] += 1
    for sid, r in st.kind("homework").items():
        out["homework"][
            (
                str(ns_id("homework", sid)),
                str(ns_id("lesson", r["lesson_id"])),
                r["text"],
                _d(r.get("due_date") or lessons[r["lesson_id"]]["date"]),
            )
        ] += 1
    for r in st.kind("mark").values():
        if not r.get("lesson_id") and r.get("period_id"):
            out["final"][
                (
                    _p(r["student_id"]),
                    str(ns_id("subject", r["subject_id"])),
                    str(ns_id("period", r["period_id"])),
                    str(r["value"]),
                    _m(r.get("entered_at") or r.get("created_at")),
                    r.get("final_kind") or "period",
                )
            ] += 1
            continue
        if r.get("lesson_id") not in lessons:
            continue
        weight = r.get("weight")
        if weight is None:
            weight = weights.get(str(r.get("work_kind_id")))
        out["mark"][
            (
                _p(r["student_id"]),
                str(ns_id("lesson", r["lesson_id"])),
                str(ns_id("work_kind", r["work_kind_id"])) if r.get("work_kind_id") else None,
                str(r["value"]),
                r.get("comment"),
                _m(r.get("entered_at") or r.get("created_at")),
                None if weight is None else float(weight),
                _d(r["date"]),
            )
        ] += 1
    for r in st.kind("absence").values():
        if r.get("lesson_id") not in lessons:
            continue
        out["absence"][
            (
                f"{ns_id('lesson', r['lesson_id'])}-{_p(r['student_id'])}",
                r["code"],
                r.get("valid"),
                _d(r["date"]),
            )
        ] += 1
    return out


def stored(engine: Engine, run_id: int | None = None) -> dict[str, Counter[Row]]:
    out: dict[str, Counter[Row]] = {k: Counter() for k in KINDS}
    for kind in KINDS:
        if kind == "final":
            continue
        for rec in records_as_of(engine, kind, run_id):
            v: Any = rec
            e = rec.source.external_id
            if kind == "group":
                row: Row = (e, v.name, v.grade, v.curator_id)
            elif kind == "subject":
                row = (e, v.name, v.short_name)
            elif kind == "period":
                row = (e, v.name, v.number, v.starts_on, v.ends_on)
            elif kind == "holiday":
                row = (e, v.name, v.starts_on, v.ends_on)
            elif kind == "person":
                row = (e, v.last_name, v.first_name, v.middle_name)
            elif kind == "parent_link":
                row = (v.parent_id, v.child_id, v.relation)
            elif kind == "subgroup":
                row = (e, v.group_id, v.name, v.subject_id)
            elif kind == "subgroup_member":
                row = (v.subgroup_id, v.student_id)
            elif kind == "teaching_assignment":
                row = (v.group_id, v.subject_id, v.teacher_id, v.subgroup_id)
            elif kind == "work_kind":
                row = (e, v.name, v.short_name, v.is_control, v.is_external)
            elif kind == "lesson":
                row = (
                    e,
                    v.group_id,
                    v.subject_id,
                    v.teacher_id,
                    v.subgroup_id,
                    v.date,
                    v.number,
                    v.starts_at,
                    v.ends_at,
                    v.topic,
                    v.hours,
                    v.room,
                )
            elif kind == "homework":
                row = (e, v.lesson_id, v.text, v.due_date)
            elif kind == "mark" and v.lesson_id is None:
                out["final"][
                    (
                        v.student_id,
                        v.subject_id,
                        v.period_id,
                        v.value,
                        _m(v.entered_at),
                        v.final_kind.value if v.final_kind else None,
                    )
                ] += 1
                continue
            elif kind == "mark":
                row = (
                    v.student_id,
                    v.lesson_id,
                    v.work_kind_id,
                    v.value,
                    v.comment,
                    _m(v.entered_at),
                    v.weight,
                    v.date,
                )
            else:
                row = (e, v.code.value, v.valid, v.date)
            out[kind][row] += 1
    return out


def diff(before: Counter[Row], after: Counter[Row], key_len: int) -> tuple[int, int, int]:
    """(added, changed, removed) between two expectations, records keyed by their first fields."""
    old = {r[:key_len]: r for r in before}
    new = {r[:key_len]: r for r in after}
    added = len(new.keys() - old.keys())
    removed = len(old.keys() - new.keys())
    changed = sum(1 for k in new.keys() & old.keys() if new[k] != old[k])
    return added, changed, removed
