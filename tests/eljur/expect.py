"""What an ЭлЖур pull *should* put in the store, computed from the scenario itself.

Each record becomes a comparable tuple of what ЭлЖур shows, with scenario ids
turned into the emulator's: people, lessons and homework by their numeric
ids, classes and subjects by name, absences as «н» (ОТ) or «оп» (ОП), marks
of every student enrolled this year (those who left included, in their last class).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from emulators.eljur.ids import ej_id, period_short_name
from emulators.scenario.world import World
from local_store.history import records_as_of

Row = tuple[Any, ...]
KINDS = (
    "group",
    "person",
    "period",
    "subject",
    "work_kind",
    "lesson",
    "homework",
    "mark",
    "final",
    "absence",
)


def _d(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _t(value: Any) -> dt.time | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def _p(sid: Any) -> str:
    return str(ej_id("person", str(sid)))


def expected(world: World, moment: dt.datetime) -> dict[str, Counter[Row]]:
    st = world.state_as_of(moment, platform="eljur")
    out: dict[str, Counter[Row]] = {k: Counter() for k in KINDS}
    groups = {sid: str(r["name"]) for sid, r in st.kind("group").items()}
    people = st.kind("person")
    periods = st.kind("period")
    year = (
        f"{min(_d(p['starts_on']) for p in periods.values()).year}-"
        f"{max(_d(p['ends_on']) for p in periods.values()).year}"
    )
    short = {
        sid: period_short_name(str(p["period_kind"]), int(p["number"]))
        for sid, p in periods.items()
    }
    for sid, p in periods.items():
        out["period"][
            (f"{year}:{short[sid]}", p["name"], p["number"], _d(p["starts_on"]), _d(p["ends_on"]))
        ] += 1
    for sid, r in st.kind("group").items():
        curator = r.get("curator_id")
        out["group"][(groups[sid], r.get("grade"), _p(curator) if curator else None)] += 1
        if curator and people.get(str(curator), {}).get("last_name"):
            c = people[str(curator)]
            out["person"][
                (_p(curator), c["last_name"], c["first_name"], c.get("middle_name") or "")
            ] += 1
    current: dict[str, str] = {}
    for r in sorted(st.kind("enrolment").values(), key=lambda r: str(r["starts_on"])):
        current[str(r["student_id"])] = groups[str(r["group_id"])]
    for sid in current:
        c = people[sid]
        out["person"][(_p(sid), c["last_name"], c["first_name"], c.get("middle_name") or "")] += 1
    out["person"] = Counter(set(out["person"]))  # a curator listed for two classes is one person
    subjects = {sid: str(r["name"]) for sid, r in st.kind("subject").items()}
    items = st.kind("plan_item")
    lessons = st.kind("lesson")
    for sid, r in lessons.items():
        item = items.get(str(r.get("plan_item_id") or "")) or {}
        control = (item.get("work_kind") or r.get("lesson_type")) == "control"
        out["lesson"][
            (
                str(ej_id("lesson", sid)),
                groups[str(r["group_id"])],
                subjects[str(r["subject_id"])],
                _d(r["date"]),
                r.get("number"),
                _t(r.get("starts_at")),
                _t(r.get("ends_at")),
                r.get("topic") or None,
                r.get("room") or None,
                "control" if control else None,
            )
        ] += 1
        out["subject"][(subjects[str(r["subject_id"])],)] = 1
    for sid, r in st.kind("homework").items():
        if r["lesson_id"] in lessons:
            out["homework"][
                (str(ej_id("homework", sid)), str(ej_id("lesson", r["lesson_id"])), r["text"])
            ] += 1
    kinds = st.kind("work_kind")
    for r in st.kind("mark").values():
        student = str(r["student_id"])
        if student not in current:
            continue
        if not r.get("lesson_id"):
            if r.get("period_id") in short:
                kind = "year" if short[r["period_id"]] == "Год" else "period"
                out["final"][
                    (
                        _p(student),
                        subjects[str(r["subject_id"])],
                        f"{year}:{short[r['period_id']]}",
                        str(r["value"]),
                        kind,
                    )
                ] += 1
            continue
        if r["lesson_id"] not in lessons:
            continue
        wk = kinds.get(str(r.get("work_kind_id") or "")) or {}
        weight = r.get("weight")
        if weight is None:
            weight = wk.get("weight") or 1.0
        name = wk.get("name") or None
        if name:
            flags = (bool(wk.get("is_control")), bool(wk.get("is_external")))
            out["work_kind"][(name, wk.get("short_name") or "", *flags)] = 1
        out["mark"][
            (
                _p(student),
                str(ej_id("lesson", r["lesson_id"])),
                groups[str(lessons[r["lesson_id"]]["group_id"])],
                name,
                str(r["value"]),
                r.get("comment") or None,
                float(weight),
                _d(lessons[r["lesson_id"]]["date"]),
            )
        ] += 1
    for r in st.kind("absence").values():
        student = str(r["student_id"])
        if student not in current or r.get("lesson_id") not in lessons:
            continue
        out["absence"][
            (
                f"{ej_id('lesson', r['lesson_id'])}-{_p(student)}",
                "ОП" if str(r["code"]).upper() == "ОП" else "ОТ",
                _d(lessons[r["lesson_id"]]["date"]),
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
                row: Row = (e, v.grade, v.curator_id)
            elif kind == "person":
                row = (e, v.last_name, v.first_name, v.middle_name)
            elif kind == "period":
                row = (e, v.name, v.number, v.starts_on, v.ends_on)
            elif kind == "subject":
                row = (v.name,)
            elif kind == "work_kind":
                row = (v.name, v.short_name, v.is_control, v.is_external)
            elif kind == "lesson":
                row = (
                    e,
                    v.group_id,
                    v.subject_id,
                    v.date,
                    v.number,
                    v.starts_at,
                    v.ends_at,
                    v.topic,
                    v.room,
                    v.lesson_type,
                )
            elif kind == "homework":
                row = (e, v.lesson_id, v.text)
            elif kind == "mark" and v.lesson_id is None:
                out["final"][
                    (v.student_id, v.subject_id, v.period_id, v.value, v.final_kind.value)
                ] += 1
                continue
            elif kind == "mark":
                assert v.entered_at is None, "ЭлЖур shows no entry time"
                row = (
                    v.student_id,
                    v.lesson_id,
                    v.group_id,
                    v.work_kind_id,
                    v.value,
                    v.comment,
                    v.weight,
                    v.date,
                )
            else:
                row = (e, v.code.value, v.date)
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
