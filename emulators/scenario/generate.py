"""The deterministic scenario generator: one synthetic institution over some weeks.

Same arguments, same bytes: every random choice comes from a stream seeded by
(seed, purpose), nothing reads the wall clock, and output keys are sorted.
The world is built in steps (calendar, staff, groups, people, plans, timetable
and journal, contingent, the institution's own records, cross-platform
differences, accounts), then the planters of ``emulators.scenario.plants``
break rules on purpose and write the ground truth.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
from collections.abc import Callable
from typing import Any

from canonical.capabilities import unchecked_label
from emulators.scenario.catalog import REPORT_OBLIGATIONS, rules_of, uncarried_rules_of
from emulators.scenario.context import GENERATOR_VERSION, Context, Generated
from emulators.scenario.journal import add_final_marks, add_journal
from emulators.scenario.movements import add_movements
from emulators.scenario.people import People, add_staff, add_students_and_parents
from emulators.scenario.profiles import profile as get_profile
from emulators.scenario.records import (
    add_accounts,
    add_external_records,
    add_local_records,
    platform_kinds,
)
from emulators.scenario.structure import (
    add_institution,
    add_plans,
    add_subjects_and_assignments,
    group_shells,
)
from emulators.scenario.world import FORMAT, FORMAT_VERSION

__all__ = ["Context", "Generated", "build", "generate"]


def build(
    profile: str,
    students: int,
    weeks: int,
    seed: int,
    start: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Generated:
    """The scenario and its ground truth (see ``docs/scenario-format.md``)."""
    # A million fresh rows make the cyclic collector rescan the heap over and
    # over; nothing built here needs it until the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(profile, students, weeks, seed, start, progress)
    finally:
        if enabled:
            gc.enable()


def _build(
    profile: str,
    students: int,
    weeks: int,
    seed: int,
    start: dt.date | None,
    progress: Callable[[str], None] | None,
) -> Generated:
    from emulators.scenario.plants import PLANTERS, PREPARERS, run_planters
    from emulators.scenario.plants.contingent import plant_discrepancies

    step = progress or (lambda _name: None)
    prof = get_profile(profile)
    ctx = Context(prof, students, weeks, seed, start)
    step("календарь и организация")
    add_institution(ctx)
    people = People(ctx)
    n_groups = max(1, math.ceil(students / prof.group_size))
    teachers = max(8, (n_groups * (10 if prof.kind == "college" else 14)) // 5 + 2)
    step("сотрудники, группы, предметы")
    add_staff(ctx, people, teachers)
    shells = group_shells(ctx)
    add_subjects_and_assignments(ctx, shells)
    step("КТП")
    add_plans(ctx)
    step("обучающиеся и родители")
    add_students_and_parents(ctx, people)
    # a rule whose fact the demo's platform cannot carry is never planted there
    uncarried = uncarried_rules_of(prof.id)
    rules = rules_of(prof.id) - set(uncarried)
    for rule in sorted(rules):
        prepare = PREPARERS.get(rule)
        if prepare is not None:
            prepare(ctx)
    add_movements(ctx, people)
    step("журнал: уроки, отметки, пропуски")
    add_journal(ctx)
    add_final_marks(ctx)
    step("собственные записи организации, ЕПГУ, «Е-услуги»")
    add_local_records(ctx)
    add_external_records(ctx, people)
    step("нарушения и расхождения")
    ctx.people = people
    plant_discrepancies(ctx)
    run_planters(ctx, rules)
    for rule, why in sorted(uncarried.items()):
        ctx.b.not_planted.append({"rule_id": rule, "reason": unchecked_label(why)})
    for rule in sorted(rules & REPORT_OBLIGATIONS):
        ctx.b.not_planted.append(
            {
                "rule_id": rule,
                "reason": "обязанность отчётов Сверки (печать, отчёт), а не запись журнала",
            }
        )
    for rule in sorted(rules - REPORT_OBLIGATIONS - set(PLANTERS)):
        ctx.b.not_planted.append({"rule_id": rule, "reason": "нет планировщика нарушения"})
    add_accounts(ctx)
    step("запись")
    return Generated(_scenario_dict(ctx), _truth_dict(ctx))


def generate(
    profile: str, students: int, weeks: int, seed: int, start: dt.date | None = None
) -> dict[str, Any]:
    """The scenario alone (``build`` also gives the ground truth)."""
    return build(profile, students, weeks, seed, start).scenario


def _meta(ctx: Context) -> dict[str, Any]:
    p = ctx.profile
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "generator": {"name": "sverka scenario generate", "version": GENERATOR_VERSION},
        "profile": p.id,
        "seed": ctx.seed,
        "students": ctx.n_students,
        "weeks": ctx.weeks,
        "timezone": p.timezone,
        "institution_kind": p.kind,
        "week_days": p.week_days,
        "period_kind": p.period_kind,
        "institution_id": ctx.institution_id,
        "institution": {
            "id": ctx.institution_id,
            "name": p.name,
            "short_name": p.short_name,
            "region": p.region,
            "locality": p.locality,
            "departments": list(p.departments),
        },
        "school_year_id": ctx.year_id,
        "starts_at": ctx.stamp(ctx.window_start, 0),
        "lessons_until": ctx.stamp(ctx.window_end, 0),
        "ends_at": ctx.stamp(ctx.ends_on, 0),
        "platform": {
            "journal": p.journal_platform,
            "demo_journal": p.demo_platform,
            "deployment": p.deployment,
            "school_id": p.school_id,
            "region": p.region,
            "locality": p.locality,
            "kinds": platform_kinds(p),
            "local_fields": {"person": ["employed_from"]},
        },
        "bell_schedule": [
            {"number": n, "starts_at": s.isoformat(), "ends_at": e.isoformat()}
            for n, s, e in p.bells
        ],
        "calendar": {
            "moved_working_saturdays": sorted(d.isoformat() for d in ctx.cal.moved_saturdays),
            "days_off": {d.isoformat(): n for d, n in sorted(ctx.cal.days_off.items())},
        },
        "timetable": {
            g.id: {
                str(d): [[n, a.id] for n, a in slots] for d, slots in sorted(g.timetable.items())
            }
            for g in ctx.groups
        },
    }


def _scenario_dict(ctx: Context) -> dict[str, Any]:
    out = _meta(ctx)
    out["tables"] = {kind: t.to_json() for kind, t in sorted(ctx.b.tables.items())}
    edits = sorted(ctx.b.edits, key=lambda e: (e[2], e[0], e[1], e[3]))
    out["edits"] = {"columns": ["kind", "id", "at", "field", "value"], "rows": edits}
    out["views"] = sorted(
        ctx.b.views, key=lambda v: (v["platform"], v["kind"], v["id"], v["field"])
    )
    out["accounts"] = ctx.b.accounts
    return out


def _truth_dict(ctx: Context) -> dict[str, Any]:
    def order(cases: list[Any]) -> list[dict[str, Any]]:
        return sorted(
            (c.to_json() for c in cases),
            key=lambda c: (c["rule_id"], c["entity_kind"], c["entity_id"], c["case"]),
        )

    return {
        "format": "sverka-scenario-truth",
        "version": 1,
        "profile": ctx.profile.id,
        "seed": ctx.seed,
        "timezone": ctx.profile.timezone,
        "rules": sorted(rules_of(ctx.profile.id)),
        "cases": order(ctx.b.cases),
        "near_misses": order(ctx.b.near_misses),
        "discrepancies": sorted(
            (d.to_json() for d in ctx.b.discrepancies), key=lambda d: (d["kind"], d["entity_id"])
        ),
        "not_planted": sorted(ctx.b.not_planted, key=lambda n: n["rule_id"]),
    }
