"""Movement orders inside the window: expulsions, transfers, academic leave, returns, enrolments."""

from __future__ import annotations

import datetime as dt

from emulators.scenario.context import Context, StudentInfo, level_of
from emulators.scenario.names import (
    child_name,
    mother_name,
    random_family,
)
from emulators.scenario.people import People, birth_in


def add_movements(ctx: Context, people: People) -> None:
    """Orders inside the window: expulsions, transfers, academic leave and returns, enrolments."""
    rng = ctx.rng("movements")
    orders = ctx.table("movement_order")
    enrolments = ctx.table("enrolment")
    lesson_days = [
        d
        for d in (
            ctx.window_start + dt.timedelta(days=i)
            for i in range((ctx.window_end - ctx.window_start).days)
        )
        if ctx.cal.is_working_day(d) and d.weekday() < 5
    ]
    if not lesson_days:
        return
    count = max(12, ctx.n_students * ctx.weeks // 400)
    kinds = ["expulsion", "transfer", "academic_leave", "return", "enrolment"]
    weights = [4, 2, 2, 1, 2]
    plan = ["expulsion", "academic_leave", "expulsion", "academic_leave", "expulsion"] * 2
    plan += ["transfer", "transfer", "enrolment", "enrolment", "enrolment", "return"]
    plan += rng.choices(kinds, weights, k=max(0, count - len(plan)))
    hints = list(ctx.order_date_hints)
    settled = ctx.notes.get("settled_students", set())
    settled_groups = ctx.notes.get("settled_groups", set())
    open_groups = [g for g in ctx.groups if g.id not in settled_groups] or ctx.groups
    candidates = sorted(s for s in ctx.students if s not in settled)
    rng.shuffle(candidates)
    used: set[str] = set()
    number = rng.randint(400, 600)
    for kind in plan:
        first_edit = len(ctx.b.edits)
        if hints and kind in ("expulsion", "academic_leave"):
            order_date = hints.pop(0)
        else:
            order_date = rng.choice(lesson_days[:-3] or lesson_days)
        effective = order_date + dt.timedelta(days=rng.choice([0, 0, 1, 3]))
        number += rng.randint(1, 4)
        order_no = f"{number}-к"
        entered_day = order_date if rng.random() < 0.7 else ctx.cal.next_working_day(order_date)
        entered = ctx.stamp(entered_day, rng.randint(9 * 3600, 16 * 3600))
        # Lessons of the new group count from the day the journal can show the student: no
        # teacher marks anyone before the order is entered (the day after, to be safe).
        in_journal_from = max(effective, entered_day + dt.timedelta(days=1))
        if kind == "enrolment":
            group = rng.choice(open_groups)
            family = random_family(rng)
            sex = rng.choice(["male", "female"])
            name = child_name(rng, family, sex)
            birth_year = ctx.year - 6 - group.level if group.grade else ctx.year - 14 - group.level
            sid = people.add("s", name, ["student"], birth_in(rng, birth_year), entered)
            parent = people.add(
                "r", mother_name(rng, family), ["parent"], birth_in(rng, birth_year - 28), entered
            )
            ctx.table("parent_link").add(
                ctx.b.next_id("pl"),
                entered,
                parent_id=parent,
                child_id=sid,
                relation="mother",
                legal_representative=True,
            )
            info = StudentInfo(
                sid, group.id, ability=rng.uniform(3.0, 4.6), absence_rate=0.05, parents=[parent]
            )
            info.intervals.append((group.id, in_journal_from, ctx.ends_on))
            info.enrolment_id = ctx.b.next_id("en")
            ctx.students[sid] = info
            ctx.families[sid] = family
            enrolments.add(
                info.enrolment_id,
                entered,
                student_id=sid,
                group_id=group.id,
                status="studying",
                starts_on=effective.isoformat(),
                order_number=order_no,
                order_date=order_date.isoformat(),
            )
            row = orders.add(
                ctx.b.next_id("mo"),
                entered,
                student_id=sid,
                movement="enrolment",
                number=order_no,
                order_date=order_date.isoformat(),
                effective_date=effective.isoformat(),
                to_group_id=group.id,
                reason="Зачисление в порядке перевода из другой образовательной организации",
            )
            ctx.orders.append(row)
            ctx.order_edits[row[0]] = ctx.b.edits[first_edit:]
            continue
        free = next((s for s in candidates if s not in used), None)
        if free is None:
            break
        sid = free
        used.add(sid)
        info = ctx.students[sid]
        group_id = info.group_id
        enrol_row = enrolments.by_id[info.enrolment_id]
        reason = None
        if kind == "expulsion":
            reason = rng.choice(
                [
                    "По собственному желанию",
                    "В связи с переводом в другую образовательную организацию",
                    "За академическую неуспеваемость",
                ]
            )
            info.intervals = [
                (g, a, min(b, effective - dt.timedelta(days=1))) for g, a, b in info.intervals
            ]
            ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "expelled")
            ctx.b.edit("enrolment", info.enrolment_id, entered, "ends_on", effective.isoformat())
            to_group = None
        elif kind == "transfer":
            group = rng.choice(
                [g for g in open_groups if g.id != group_id and g.level == level_of(ctx, group_id)]
                or open_groups
            )
            reason = (
                "Перевод в другую группу"
                if ctx.profile.kind == "college"
                else "Перевод в параллельный класс"
            )
            info.intervals = [
                (g, a, min(b, effective - dt.timedelta(days=1))) for g, a, b in info.intervals
            ]
            info.intervals.append((group.id, in_journal_from, ctx.ends_on))
            ctx.b.edit(
                "enrolment",
                info.enrolment_id,
                entered,
                "ends_on",
                (effective - dt.timedelta(days=1)).isoformat(),
            )
            new_id = ctx.b.next_id("en")
            enrolments.add(
                new_id,
                entered,
                student_id=sid,
                group_id=group.id,
                status="studying",
                starts_on=effective.isoformat(),
                order_number=order_no,
                order_date=order_date.isoformat(),
            )
            info.enrolment_id = new_id
            info.group_id = group.id
            to_group = group.id
        elif kind == "academic_leave":
            reason = rng.choice(
                [
                    "По медицинским показаниям",
                    "В связи с призывом на военную службу",
                    "По семейным обстоятельствам",
                ]
            )
            if ctx.profile.kind == "school":
                kind = "expulsion"
                reason = "В связи с переводом в другую образовательную организацию"
                ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "expelled")
            else:
                ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "academic_leave")
            ctx.b.edit("enrolment", info.enrolment_id, entered, "ends_on", effective.isoformat())
            info.intervals = [
                (g, a, min(b, effective - dt.timedelta(days=1))) for g, a, b in info.intervals
            ]
            to_group = None
        else:  # return from academic leave (taken before the window)
            if ctx.profile.kind == "school":
                continue
            leave_start = ctx.window_start - dt.timedelta(days=rng.randint(30, 120))
            info.intervals = [
                (group_id, a, leave_start - dt.timedelta(days=1)) for _, a, _ in info.intervals[:1]
            ]
            info.intervals.append((group_id, in_journal_from, ctx.ends_on))
            enrolments.set(enrol_row, "status", "academic_leave")
            # The leave had its own order, entered when it began: without it a platform that
            # builds enrolments from the card's orders (Модуль ПОО) would show the student
            # studying until the return is entered.  Not in ``ctx.orders``: plants and deadlines
            # are about the window's orders.
            orders.add(
                ctx.b.next_id("mo"),
                ctx.stamp(leave_start, 10 * 3600),
                student_id=sid,
                movement="academic_leave",
                number=f"{max(1, number - (ctx.window_start - leave_start).days)}-к",
                order_date=leave_start.isoformat(),
                effective_date=leave_start.isoformat(),
                from_group_id=group_id,
                to_group_id=None,
                reason="По семейным обстоятельствам",
            )
            ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "studying")
            reason = "Выход из академического отпуска"
            to_group = group_id
        row = orders.add(
            ctx.b.next_id("mo"),
            entered,
            student_id=sid,
            movement=kind,
            number=order_no,
            order_date=order_date.isoformat(),
            effective_date=effective.isoformat(),
            from_group_id=group_id if kind != "return" else None,
            to_group_id=to_group,
            reason=reason,
        )
        ctx.orders.append(row)
        ctx.order_edits[row[0]] = ctx.b.edits[first_edit:]
