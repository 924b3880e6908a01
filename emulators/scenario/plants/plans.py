"""Planters for plans (КТП): entered late, hours off the curriculum, material not covered."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from emulators.scenario.plants.common import SECOND, case, pick
from emulators.scenario.plants.registry import planter, preparer

if TYPE_CHECKING:
    from emulators.scenario.context import Assignment, Context


def _key(a: Assignment) -> tuple[str, str]:
    return ("plan", a.plan_id)


@planter("plan.deadline")
def plan_deadline(ctx: Context) -> None:
    deadline = ctx.dl.plan(ctx.year_start)
    if deadline.date() < ctx.window_start:
        # The replay's first sync is at the window's start: a plan entered before it is
        # first seen there with no earlier sync (and no platform gives a plan's entry
        # time), so nothing the replay shows can tell a late plan from one in time.  An
        # institution syncing all year decides it at the end of the deadline day.
        ctx.b.not_planted.append(
            {
                "rule_id": "plan.deadline",
                "reason": (
                    f"срок ({deadline:%d.%m.%Y}) раньше первой синхронизации сценария "
                    f"({ctx.window_start:%d.%m.%Y}): ввод КТП до неё не наблюдался"
                ),
            }
        )
        return
    chosen = pick(ctx, ctx.assignments, 4, "plan_deadline", _key)
    for i, a in enumerate(chosen):
        made = [
            deadline + SECOND,
            dt.datetime.combine(
                ctx.year_start + dt.timedelta(days=2), dt.time(16), deadline.tzinfo
            ),
            deadline,
            deadline - dt.timedelta(hours=5),
        ][i]
        stamp = ctx.iso(made)
        ctx.table("plan").by_id[a.plan_id][1] = stamp
        for item in a.items:
            item[1] = stamp
        if i >= 2:
            label = (
                "boundary: entered at the deadline"
                if i == 2
                else "entered the evening before the deadline"
            )
            case(
                ctx,
                "plan.deadline",
                "plan",
                a.plan_id,
                label,
                made_at=made,
                deadline=deadline,
                near_miss=True,
            )
            continue
        label = "boundary: one second late" if i == 0 else "entered after the school year began"
        case(ctx, "plan.deadline", "plan", a.plan_id, label, made_at=made, deadline=deadline)


@planter("plan.hours.match_curriculum")
def hours_match(ctx: Context) -> None:
    items = ctx.table("plan_item")
    plans = ctx.table("plan")
    hours = float(ctx.profile.hours_per_lesson)
    for i, a in enumerate(pick(ctx, ctx.assignments, 3, "plan_hours", _key)):
        extra = [3, 1, 2][i]
        plan = plans.by_id[a.plan_id]
        for _ in range(extra):
            row = items.add(
                ctx.b.next_id("pi"),
                plan[1],
                plan_id=a.plan_id,
                ordinal=len(a.items) + 1,
                topic="Резервный урок",
                hours=hours,
                work_kind="lesson",
                work_number=None,
            )
            a.items.append(row)
        total = plans.get(plan, "total_hours") + extra * hours
        plans.set(plan, "total_hours", total)
        case(
            ctx,
            "plan.hours.match_curriculum",
            "plan",
            a.plan_id,
            f"plan has {extra} lesson(s) more than the curriculum",
            condition=f"в КТП {total:g} ч, по учебному плану {total - extra * hours:g} ч",
            teaching_assignment_id=a.id,
        )


@preparer("plan.coverage")
def coverage_prepare(ctx: Context) -> None:
    """Two weeks without lessons for two group-subjects (teacher ill, no replacement)."""
    rng = ctx.rng("coverage")
    candidates = [a for a in ctx.assignments if sum(1 for d, _ in a.slots if ctx.in_window(d)) >= 8]
    targets = []
    for a in rng.sample(candidates, k=min(2, len(candidates))):
        days = [d for d, _ in a.slots if ctx.in_window(d)]
        gap_start = days[len(days) // 3]
        gap = [d for d in days if gap_start <= d < gap_start + dt.timedelta(days=14)]
        for d in gap:
            ctx.skip_lessons.add((a.id, d))
        targets.append((a, gap))
    ctx.notes["coverage_targets"] = targets


@planter("plan.coverage")
def coverage(ctx: Context) -> None:
    for a, gap in ctx.notes.get("coverage_targets", []):
        ctx.claim("plan", a.plan_id)
        skipped = [
            a.items[min(i, len(a.items) - 1)][0]
            for i, (d, _) in enumerate(a.slots)
            if d in set(gap)
        ]
        case(
            ctx,
            "plan.coverage",
            "plan",
            a.plan_id,
            "two weeks of lessons not given",
            condition=f"{len(gap)} запланированных уроков не проведено ({gap[0].isoformat()} — {gap[-1].isoformat()})",
            teaching_assignment_id=a.id,
            plan_item_ids=sorted(set(skipped)),
            lessons_missing=len(gap),
        )
