"""Planters for parents, the e-diary and ЕПГУ: required fields, own child only, paper reports,
registration by invitation code, absence reasons."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from emulators.scenario.deadlines import PAPER_REPORT_EVERY_DAYS
from emulators.scenario.plants.common import SECOND, case, fits, lesson_key, pick, window_label
from emulators.scenario.plants.registry import planter

if TYPE_CHECKING:
    from emulators.scenario.context import Context


@planter("epgu.parent.required_fields")
def parent_required(ctx: Context) -> None:
    """Parents who applied on ЕПГУ while their journal record lacks a required field."""
    person = ctx.table("person")
    qi = ctx.table("epgu_request").index
    by_snils = {person.get(r, "snils"): r for r in person.rows if person.get(r, "snils")}
    done = ctx.notes.get("parent_without_snils")
    if done is not None:
        case(
            ctx,
            "epgu.parent.required_fields",
            "person",
            done[0],
            "parent without СНИЛС",
            condition="у родителя нет СНИЛС",
            missing_field="snils",
            epgu_request_id=done[1],
        )
    fields = ["document_number", "birth_date"]
    for row in ctx.epgu_rows[2:]:
        if not fields:
            break
        parent = by_snils.get(row[qi["applicant_snils"]])
        if parent is None or not ctx.claim("parent", parent[0]):
            continue
        field = fields.pop(0)
        person.set(parent, field, None)
        if field == "document_number":
            person.set(parent, "document_series", None)
        case(
            ctx,
            "epgu.parent.required_fields",
            "person",
            parent[0],
            f"parent without {field}",
            condition=f"у родителя нет поля «{field}»",
            missing_field=field,
            epgu_request_id=row[0],
        )


@planter("epgu.own_child_only")
def own_child_only(ctx: Context) -> None:
    """Applications by someone who is not the child's parent: the right outcome is a refusal
    (``expected: "refused"``), and a finding only if one was served."""
    stranger = ctx.notes.get("stranger_request")
    if stranger is not None:
        case(
            ctx,
            "epgu.own_child_only",
            "epgu_request",
            stranger,
            "applicant is not the child's parent",
            condition="заявитель не является родителем ребёнка: сведения выдавать нельзя",
            expected="refused",
        )
    # a second one: a parent asks about another family's child
    qi = ctx.table("epgu_request").index
    person = ctx.table("person")
    others = sorted(ctx.students, key=lambda s: int(s[1:]))
    planted = 0
    for row in ctx.epgu_rows[3:]:
        if planted >= 2:
            break
        victim = others[(len(others) // 2 + planted * 7) % len(others)]
        child = person.by_id[victim]
        if row[qi["child_snils"]] == person.get(child, "snils") or not person.get(child, "snils"):
            continue
        own = {person.get(person.by_id[p], "snils") for p in ctx.students[victim].parents}
        if row[qi["applicant_snils"]] in own:
            continue  # a sibling: the applicant is this child's parent too
        row[qi["child_last_name"]] = person.get(child, "last_name")
        row[qi["child_first_name"]] = person.get(child, "first_name")
        row[qi["child_middle_name"]] = person.get(child, "middle_name")
        row[qi["child_birth_date"]] = person.get(child, "birth_date")
        row[qi["child_snils"]] = person.get(child, "snils")
        planted += 1
        case(
            ctx,
            "epgu.own_child_only",
            "epgu_request",
            row[0],
            "parent asks about another family's child",
            condition="заявитель — родитель другого ребёнка",
            expected="refused",
            child_id=victim,
        )


@planter("diary.opt_out.paper_report")
def paper_report(ctx: Context) -> None:
    every = PAPER_REPORT_EVERY_DAYS[ctx.profile.id]
    papers = ctx.table("paper_report")
    for i, optout in enumerate(ctx.optouts[:3]):
        parent, child = optout[2], optout[3]
        rows = sorted(
            (r for r in papers.rows if r[2] == parent and r[3] == child), key=lambda r: r[4]
        )
        inside = [r for r in rows if dt.date.fromisoformat(r[4]) >= ctx.window_start]
        if not inside:
            continue
        anchor = inside[0]
        last = dt.date.fromisoformat(anchor[4])
        due = last + dt.timedelta(days=every)
        if due >= ctx.ends_on - dt.timedelta(days=1):
            # The deadline would end with the scenario's last observation (or after it):
            # nothing could see it missed.
            continue
        given = [due + dt.timedelta(days=1), due, due + dt.timedelta(days=9)][i]
        drop = {
            r[0]
            for r in rows
            if last < dt.date.fromisoformat(r[4]) <= given + dt.timedelta(days=every - 1)
        }
        papers.rows[:] = [r for r in papers.rows if r[0] not in drop]
        for r in drop:
            papers.by_id.pop(r, None)
        made = None
        if given < ctx.ends_on:
            made = ctx.dl.at(given, dt.time(16))
            papers.add(
                ctx.b.next_id("pr"),
                ctx.iso(made),
                parent_id=parent,
                child_id=child,
                given_on=given.isoformat(),
            )
        label = [
            "paper report one day late",
            "boundary: paper report on the last allowed day",
            "paper report a week late",
        ][i]
        case(
            ctx,
            "diary.opt_out.paper_report",
            "diary_opt_out",
            optout[0],
            label,
            made_at=made,
            deadline=ctx.dl.end_of(due),
            near_miss=i == 1,
            previous_report=last.isoformat(),
        )


@planter("diary.registration.deadline")
def registration(ctx: Context) -> None:
    codes = ctx.table("invitation_code")
    for i, row in enumerate(codes.rows[5:9]):
        issued = dt.date.fromisoformat(row[3])
        due = ctx.dl.registration(issued)
        registered = [due + dt.timedelta(days=1), due, due + dt.timedelta(days=6), None][i]
        row[4] = registered.isoformat() if registered else None
        row[1] = ctx.iso(ctx.dl.at(registered or issued, dt.time(18)))
        label = [
            "registered one day late",
            "boundary: registered on the third day",
            "registered a week late",
            "never registered",
        ][i]
        case(
            ctx,
            "diary.registration.deadline",
            "invitation_code",
            row[0],
            label,
            made_at=ctx.dl.at(registered, dt.time(18)) if registered else None,
            deadline=ctx.dl.end_of(due),
            near_miss=i == 1,
            person_id=row[2],
        )


@planter("absence.reason.deadline")
def absence_reason(ctx: Context) -> None:
    """Reasons set late; for talmenka the window runs from the document and may span holidays."""
    lessons = [
        x
        for x in ctx.lessons
        if any(
            r[5] == "ОТ"
            and r[0] in ctx.reason_edits
            and any(e[3] == "document_date" for e in ctx.reason_edits[r[0]])
            for r in ctx.absences_by_lesson.get(x.id, [])
        )
        and x.day + dt.timedelta(days=14) < ctx.ends_on
    ]

    def deadline_of(day: dt.date) -> tuple[dt.datetime, dt.date]:
        document = day
        return ctx.dl.absence_reason(day, document), document

    def special(x: object) -> bool:
        day = x.day  # type: ignore[attr-defined]
        deadline, _ = deadline_of(day)
        return window_label(ctx, day, deadline.date()) is not None

    chosen = pick(ctx, lessons, 2, "reason:special", lesson_key, special)
    chosen += pick(ctx, lessons, 5 - len(chosen), "reason", lesson_key)
    for i, lesson in enumerate(chosen):
        row = next(
            r
            for r in ctx.absences_by_lesson[lesson.id]
            if r[5] == "ОТ" and any(e[3] == "document_date" for e in ctx.reason_edits.get(r[0], []))
        )
        deadline, document = deadline_of(lesson.day)
        if i in (1, 4):
            made, what, near = deadline, "boundary: reason set at the deadline", True
        elif i == 2:
            made, what, near = (
                deadline + dt.timedelta(days=4, hours=-8),
                "reason set days late",
                False,
            )
        else:
            made, what, near = deadline + SECOND, "boundary: one second late", False
        if not fits(ctx, made):
            made, what, near = deadline + SECOND, "boundary: one second late", False
        for edit in ctx.reason_edits[row[0]]:
            edit[2] = ctx.iso(made)
            if edit[3] == "document_date":
                edit[4] = document.isoformat()
        label = window_label(ctx, lesson.day, deadline.date())
        case(
            ctx,
            "absence.reason.deadline",
            "absence",
            row[0],
            f"{label}, {what}" if label else what,
            made_at=made,
            deadline=deadline,
            near_miss=near,
            document_date=document.isoformat(),
        )
