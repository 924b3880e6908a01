"""Planters for the contingent: movement orders, student and staff cards, reviews, the registry.

Cross-platform differences (the registry lags an order, a birth date differs,
an «Е-услуги» enrolee never reaches the journal…) are planted for every
profile by :func:`plant_discrepancies`: reconciliation is tested on them even
where ``contingent.registry.match`` is not one of the profile's rules.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from emulators.scenario.builder import Discrepancy, Row
from emulators.scenario.deadlines import MOVEMENT_KINDS, MOVEMENT_WORKING_DAYS
from emulators.scenario.names import adult_name, child_name, random_family
from emulators.scenario.plants.common import SECOND, case, fits, pick, window_label
from emulators.scenario.plants.registry import planter, preparer

if TYPE_CHECKING:
    from emulators.scenario.context import Context
    from emulators.scenario.people import People


def _col(ctx: Context, kind: str, name: str) -> int:
    return int(ctx.table(kind).index[name])


@preparer("contingent.movement.deadline")
def movement_prepare(ctx: Context) -> None:
    """Order dates whose deadline window holds a holiday or a moved Saturday, where the window has one."""
    working_days = MOVEMENT_WORKING_DAYS[ctx.profile.id]
    hints: list[dt.date] = []
    day = ctx.window_start
    while day < ctx.window_end - dt.timedelta(days=10) and len(hints) < 2:
        if ctx.cal.is_working_day(day) and day.weekday() < 5:
            end = ctx.cal.add_production_days(day, working_days)
            if window_label(ctx, day, end, school_week=False) and (
                not hints or (day - hints[-1]).days > 7
            ):
                hints.append(day)
        day += dt.timedelta(days=1)
    ctx.order_date_hints = hints


@planter("contingent.movement.deadline")
def movement_deadline(ctx: Context) -> None:
    kinds = MOVEMENT_KINDS.get(ctx.profile.id)
    mi = ctx.table("movement_order").index
    orders = [r for r in ctx.orders if kinds is None or r[mi["movement"]] in kinds]
    orders.sort(
        key=lambda r: (
            dt.date.fromisoformat(r[mi["order_date"]]) not in ctx.order_date_hints,
            int(r[0][2:]),
        )
    )
    chosen = [r for r in orders if ctx.claim("movement_order", r[0])][:5]
    for i, row in enumerate(chosen):
        order_date = dt.date.fromisoformat(row[mi["order_date"]])
        deadline = ctx.dl.movement(order_date)
        label = window_label(ctx, order_date, deadline.date(), school_week=False)
        if i in (1, 4):
            made, what, near = deadline, "boundary: entered at the deadline", True
        elif i == 2:
            made, what, near = deadline + dt.timedelta(days=3), "entered three days late", False
        else:
            made, what, near = deadline + SECOND, "boundary: one second late", False
        if not fits(ctx, made):
            made, what = deadline + SECOND, "boundary: one second late"
        stamp = ctx.iso(made)
        row[1] = stamp
        for edit in ctx.order_edits.get(row[0], []):
            edit[2] = stamp
        _move_enrolment_rows(ctx, row, stamp)
        case(
            ctx,
            "contingent.movement.deadline",
            "movement_order",
            row[0],
            f"{label}, {what}" if label else what,
            made_at=made,
            deadline=deadline,
            near_miss=near,
            movement=row[mi["movement"]],
        )


def _move_enrolment_rows(ctx: Context, order: Row, stamp: str) -> None:
    """Records created with the order (a transfer's new enrolment, a new student) move with it."""
    mi = ctx.table("movement_order").index
    enrolments = ctx.table("enrolment")
    ei = enrolments.index
    for row in enrolments.rows[-200:]:
        if (
            row[ei["student_id"]] == order[mi["student_id"]]
            and row[ei["order_number"]] == order[mi["number"]]
        ):
            row[1] = stamp
    if order[mi["movement"]] == "enrolment":
        person = ctx.table("person").by_id[order[mi["student_id"]]]
        person[1] = stamp
        for link in ctx.table("parent_link").rows[-400:]:
            if link[3] == order[mi["student_id"]]:
                link[1] = stamp
                ctx.table("person").by_id[link[2]][1] = stamp


@planter("contingent.card.deadline")
def card_deadline(ctx: Context) -> None:
    """A new student's card completed late (СНИЛС or passport added by a later edit)."""
    mi = ctx.table("movement_order").index
    field = "document_number" if ctx.profile.id == "kpgt" else "snils"
    enrolled = [
        r for r in ctx.orders if r[mi["movement"]] == "enrolment" and ctx.claim("card", r[0])
    ]
    person = ctx.table("person")
    for i, order in enumerate(enrolled[:3]):
        sid = order[mi["student_id"]]
        effective = dt.date.fromisoformat(order[mi["effective_date"]])
        deadline = ctx.dl.card(effective, first_year_check=False)
        made = [deadline + SECOND, deadline + dt.timedelta(days=4), deadline][i]
        if not fits(ctx, made):
            made = deadline + SECOND
        row = person.by_id[sid]
        value = person.get(row, field)
        person.set(row, field, None)
        ctx.b.edit("person", sid, ctx.iso(made), field, value)
        label = window_label(ctx, effective, deadline.date(), school_week=False)
        what = [
            "boundary: one second late",
            "completed days late",
            "boundary: completed at the deadline",
        ][i]
        case(
            ctx,
            "contingent.card.deadline",
            "person",
            sid,
            f"{label}, {what}" if label else what,
            made_at=made,
            deadline=deadline,
            near_miss=i == 2,
            missing_field=field,
        )
    check_due = ctx.dl.card(dt.date(ctx.year, 9, 1), first_year_check=True)
    # the September check of first-year cards is due before a window starting later: its
    # lateness happened before the replay's first sync, which no sync could observe
    if ctx.profile.id == "kpgt" and check_due.date() >= ctx.window_start:
        first_years = [g for g in ctx.groups if g.course == 1]
        students = sorted(
            (s for s in ctx.students.values() if s.group_id in {g.id for g in first_years}),
            key=lambda s: int(s.id[1:]),
        )
        last = ctx.window_end - dt.timedelta(days=1)
        # still studying at the end: the rule judges the cards of enrolled students only
        steady = (s for s in students if ctx.active(s, s.group_id, last))
        for i, s in enumerate(s for s in list(steady)[:8] if ctx.claim("card", s.id)):
            if i >= 2:
                break
            deadline = check_due
            made = deadline + (SECOND if i == 0 else dt.timedelta(days=5))
            row = person.by_id[s.id]
            value = person.get(row, "document_number")
            person.set(row, "document_number", None)
            ctx.b.edit("person", s.id, ctx.iso(made), "document_number", value)
            case(
                ctx,
                "contingent.card.deadline",
                "person",
                s.id,
                "first-year check 1–10 September: passport added late",
                made_at=made,
                deadline=deadline,
                missing_field="document_number",
            )


@planter("contingent.card.required_fields")
def card_required(ctx: Context) -> None:
    person = ctx.table("person")
    students = sorted(ctx.students.values(), key=lambda s: int(s.id[1:]))
    last = ctx.window_end - dt.timedelta(days=1)
    # students still studying at the end: the rule judges the cards of enrolled students only
    pool = [
        s
        for s in students[len(students) // 3 :]
        if ctx.active(s, s.group_id, last) and ctx.claim("card", s.id)
    ]
    if ctx.profile.id == "kpgt":
        fields = ["email", "document_number", "parent"]
    else:
        fields = ["snils", "snils", "order_number"]
    for s, field in zip(pool, fields, strict=False):
        if field == "parent":
            links = ctx.table("parent_link")
            links.rows[:] = [r for r in links.rows if r[3] != s.id]
            for r in list(links.by_id.values()):
                if r[3] == s.id:
                    del links.by_id[r[0]]
            s.parents = []
        elif field == "order_number":
            enrolment = ctx.table("enrolment")
            enrolment.set(enrolment.by_id[s.enrolment_id], "order_number", None)
            # a platform shows the card's order from the enrolment order itself («Модуль ПОО»
            # lists the student's decrees): the number is missing there too
            orders = ctx.table("movement_order")
            student, movement = orders.index["student_id"], orders.index["movement"]
            for row in list(orders.rows):
                if row[student] == s.id and row[movement] == "enrolment":
                    orders.set(row, "number", "")
        else:
            person.set(person.by_id[s.id], field, None)
        case(
            ctx,
            "contingent.card.required_fields",
            "person",
            s.id,
            f"card without {field}",
            condition=f"в карточке обучающегося нет поля «{field}»",
            missing_field=field,
        )


@planter("contingent.data.review")
def data_review(ctx: Context) -> None:
    """A group with no review in a whole window (every N months from the school year's start).

    Violated: the window's only review moved to the day after it ends, or three
    weeks later; met: the only review on the window's last working day.
    """
    months = {"mazanka": 1, "tpt": 3}.get(ctx.profile.id, 1)
    reviews = ctx.table("data_review")
    ri = reviews.index
    start = ctx.year_start
    while True:
        end = _add_months(start, months) - dt.timedelta(days=1)
        if end >= ctx.window_start and end + dt.timedelta(days=22) < ctx.ends_on:
            break
        start = end + dt.timedelta(days=1)
        if start >= ctx.ends_on:
            return
    last_working = end
    while not ctx.cal.is_working_day(last_working):
        last_working -= dt.timedelta(days=1)
    groups = sorted(ctx.groups, key=lambda g: int(g.id[1:]))
    for i, group in enumerate(pick(ctx, groups, 3, "review", lambda g: ("group", g.id))):
        when = [end + dt.timedelta(days=1), last_working, end + dt.timedelta(days=21)][i]
        inside = {
            r[0]
            for r in reviews.rows
            if r[ri["group_id"]] == group.id
            and start <= dt.date.fromisoformat(r[ri["reviewed_on"]]) <= max(when, end)
        }
        reviews.rows[:] = [r for r in reviews.rows if r[0] not in inside]
        for rid in inside:
            reviews.by_id.pop(rid, None)
        made = ctx.dl.at(when, dt.time(15))
        reviews.add(
            ctx.b.next_id("dr"),
            ctx.iso(made),
            group_id=group.id,
            reviewed_on=when.isoformat(),
            reviewer_id=group.curator_id,
        )
        label = [
            "review on the first day after the window",
            "boundary: the only review on the window's last working day",
            "review three weeks after the window",
        ][i]
        case(
            ctx,
            "contingent.data.review",
            "group",
            group.id,
            label,
            made_at=made,
            deadline=ctx.dl.end_of(end),
            near_miss=i == 1,
            window=[start.isoformat(), end.isoformat()],
        )


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


@planter("staff.card.deadline")
def staff_card(ctx: Context) -> None:
    """New employees: in the system one second late, days late, and at the deadline."""
    from emulators.scenario.context import PERSON_COLUMNS

    person = ctx.b.table("person", PERSON_COLUMNS)
    rng = ctx.rng("staff_card")
    days = [ctx.window_start + dt.timedelta(days=i) for i in range(7, 35)]
    days = [d for d in days if ctx.cal.is_working_day(d) and d.weekday() == 0] or [ctx.window_start]
    for i in range(3):
        start = days[i % len(days)]
        deadline = ctx.dl.staff_card(start)
        made = [deadline + SECOND, deadline + dt.timedelta(days=5), deadline][i]
        name = adult_name(rng, rng.choice(["male", "female"]))
        pid = ctx.b.next_id("e")
        person.add(
            pid,
            ctx.iso(made),
            last_name=name.last,
            first_name=name.first,
            middle_name=name.middle,
            roles=["teacher"],
            birth_date=dt.date(
                rng.randint(1970, 2000), rng.randint(1, 12), rng.randint(1, 28)
            ).isoformat(),
            sex=name.sex,
            position="Преподаватель",
            employed_from=start.isoformat(),
            login=_people(ctx).login(name),
        )
        ctx.staff["teacher"].append(pid)
        label = window_label(ctx, start, deadline.date(), school_week=False)
        what = ["boundary: one second late", "added days late", "boundary: added at the deadline"][
            i
        ]
        case(
            ctx,
            "staff.card.deadline",
            "person",
            pid,
            f"{label}, {what}" if label else what,
            made_at=made,
            deadline=deadline,
            near_miss=i == 2,
            employed_from=start.isoformat(),
        )


@planter("contingent.registry.match")
def registry_match(ctx: Context) -> None:
    """The journal and the registry disagree on a person's status, group or presence.

    The case names the student (the unit the registry keeps); a differing
    birth date is a reconciliation discrepancy, not a contingent mismatch.
    """
    for d in ctx.b.discrepancies:
        if d.kind in ("registry_lags_order", "registry_lags_transfer"):
            student = str(d.details["student_id"])
            label = d.kind
        elif d.kind == "registry_missing_student":
            student, label = d.entity_id, d.kind
        else:
            continue
        case(
            ctx,
            "contingent.registry.match",
            "person",
            student,
            label,
            condition=d.cause,
            platforms=d.platforms,
            movement_order_id=d.entity_id if d.entity_kind == "movement_order" else None,
        )


def plant_discrepancies(ctx: Context) -> None:
    """Where platforms disagree on purpose; runs before the planters (for every profile)."""
    rng = ctx.rng("discrepancies")
    mi = ctx.table("movement_order").index
    person = ctx.table("person")
    pi = person.index
    # 1. the registry lags an order: it never received an expulsion / leave
    lagging = [r for r in ctx.orders if r[mi["movement"]] in ("expulsion", "academic_leave")]
    for order in lagging[-2:]:
        ctx.claim("movement_order", order[0])
        sid = order[mi["student_id"]]
        info = ctx.students[sid]
        ctx.b.view(
            "contingent",
            "movement_order",
            order[0],
            "__absent__",
            None,
            "реестр контингента не получил приказ",
        )
        ctx.b.view(
            "contingent",
            "enrolment",
            info.enrolment_id,
            "status",
            "studying",
            "в реестре обучающийся числится обучающимся",
        )
        ctx.b.view(
            "contingent",
            "enrolment",
            info.enrolment_id,
            "ends_on",
            None,
            "в реестре нет даты выбытия",
        )
        ctx.b.discrepancies.append(
            Discrepancy(
                "registry_lags_order",
                "movement_order",
                order[0],
                ["contingent", ctx.profile.journal_platform],
                f"приказ № {order[mi['number']]} от {order[mi['order_date']]} не передан в реестр контингента",
                {"student_id": sid, "enrolment_id": info.enrolment_id},
            )
        )
    # 1b. the registry lags a transfer: it still shows the old group
    transfers = [r for r in ctx.orders if r[mi["movement"]] == "transfer"]
    lagged = {str(d.details.get("student_id")) for d in ctx.b.discrepancies}
    for order in transfers[-1:]:
        sid = order[mi["student_id"]]
        if sid in lagged or not ctx.claim("movement_order", order[0]):
            continue
        info = ctx.students[sid]
        old = [
            r
            for r in ctx.table("enrolment").rows
            if r[ctx.table("enrolment").index["student_id"]] == sid and r[0] != info.enrolment_id
        ]
        ctx.b.view(
            "contingent",
            "movement_order",
            order[0],
            "__absent__",
            None,
            "реестр не получил приказ о переводе",
        )
        ctx.b.view(
            "contingent",
            "enrolment",
            info.enrolment_id,
            "__absent__",
            None,
            "в реестре нет новой группы",
        )
        for r in old[-1:]:
            ctx.b.view(
                "contingent",
                "enrolment",
                r[0],
                "ends_on",
                None,
                "в реестре обучающийся в прежней группе",
            )
        lagged.add(sid)
        ctx.b.discrepancies.append(
            Discrepancy(
                "registry_lags_transfer",
                "movement_order",
                order[0],
                ["contingent", ctx.profile.journal_platform],
                f"приказ о переводе № {order[mi['number']]} от {order[mi['order_date']]} не передан "
                "в реестр: там обучающийся в прежней группе",
                {"student_id": sid, "enrolment_id": info.enrolment_id},
            )
        )
    # 2. a birth date differs in the registry
    students = sorted((s for s in ctx.students if s not in lagged), key=lambda s: int(s[1:]))
    for sid in rng.sample(students, k=2):
        ctx.claim("card", sid)
        row = person.by_id[sid]
        born = dt.date.fromisoformat(row[pi["birth_date"]])
        other = (
            born.replace(day=born.month)
            if born.day != born.month and born.month <= 28
            else born + dt.timedelta(days=1)
        )
        ctx.b.view(
            "contingent",
            "person",
            sid,
            "birth_date",
            other.isoformat(),
            "в реестре другая дата рождения (день и месяц переставлены)",
        )
        ctx.b.discrepancies.append(
            Discrepancy(
                "birth_date_differs",
                "person",
                sid,
                ["contingent", ctx.profile.journal_platform],
                "дата рождения в реестре контингента отличается от журнала",
                {"journal": born.isoformat(), "contingent": other.isoformat()},
            )
        )
    # 3. a student the registry does not know (added to the journal, not yet sent)
    new = [r for r in ctx.orders if r[mi["movement"]] == "enrolment"]
    if new:
        sid = new[0][mi["student_id"]]
        ctx.b.view(
            "contingent", "person", sid, "__absent__", None, "обучающийся не передан в реестр"
        )
        ctx.b.view(
            "contingent",
            "enrolment",
            ctx.students[sid].enrolment_id,
            "__absent__",
            None,
            "зачисление не передано в реестр",
        )
        ctx.b.discrepancies.append(
            Discrepancy(
                "registry_missing_student",
                "person",
                sid,
                ["contingent", ctx.profile.journal_platform],
                "обучающийся есть в журнале, но отсутствует в реестре контингента",
                {},
            )
        )
    # 4. an «Е-услуги» enrolee who never reaches the journal
    expected = ctx.table("expected_enrolment")
    family = random_family(rng)
    child = child_name(rng, family, rng.choice(["male", "female"]))
    group = ctx.groups[len(ctx.groups) // 2]
    day = ctx.window_start + dt.timedelta(days=10)
    ee = ctx.b.next_id("ee")
    notified = ctx.dl.at(day, dt.time(11, 20))
    birth_year = ctx.year - 6 - group.level if group.grade else ctx.year - 14 - group.level
    expected.add(
        ee,
        ctx.iso(notified),
        last_name=child.last,
        first_name=child.first,
        middle_name=child.middle,
        birth_date=dt.date(birth_year, 3, 14).isoformat(),
        snils=None,
        sex=child.sex,
        group_name=group.name,
        grade=group.grade,
        expected_on=(day + dt.timedelta(days=7)).isoformat(),
        notified_at=ctx.iso(notified),
    )
    ctx.b.discrepancies.append(
        Discrepancy(
            "expected_enrolment_missing",
            "expected_enrolment",
            ee,
            ["e_uslugi", ctx.profile.journal_platform],
            "зачисленный через «Е-услуги» так и не появился в журнале",
            {"group_name": group.name},
        )
    )
    # 5. an ЕПГУ applicant who is not the child's parent
    requests = ctx.table("epgu_request")
    qi = requests.index
    if ctx.epgu_rows:
        row = ctx.epgu_rows[0]
        stranger = adult_name(rng, "female")
        row[qi["applicant_last_name"]] = stranger.last
        row[qi["applicant_first_name"]] = stranger.first
        row[qi["applicant_middle_name"]] = stranger.middle
        row[qi["applicant_snils"]] = _people(ctx).snils()
        row[qi["applicant_sex"]] = "female"
        row[qi["applicant_birth_date"]] = dt.date(ctx.year - 58, 5, 2).isoformat()
        row[qi["applicant_document_number"]] = f"{rng.randint(100000, 999999)}"
        ctx.notes["stranger_request"] = row[0]
        ctx.b.discrepancies.append(
            Discrepancy(
                "epgu_applicant_not_parent",
                "epgu_request",
                row[0],
                ["epgu", ctx.profile.journal_platform],
                "заявитель на ЕПГУ не является родителем (законным представителем) ребёнка в журнале",
                {"applicant": f"{stranger.last} {stranger.first} {stranger.middle}"},
            )
        )
    # 6. a parent lacking СНИЛС (who applied on ЕПГУ with one)
    if len(ctx.epgu_rows) > 1:
        row = ctx.epgu_rows[1]
        child_sid = next(
            (
                sid
                for sid in students
                if person.get(person.by_id[sid], "snils") == row[qi["child_snils"]]
            ),
            None,
        )
        if child_sid is not None and ctx.students[child_sid].parents:
            parent = ctx.students[child_sid].parents[0]
            person.set(person.by_id[parent], "snils", None)
            ctx.notes["parent_without_snils"] = (parent, row[0])
            ctx.b.discrepancies.append(
                Discrepancy(
                    "parent_without_snils",
                    "person",
                    parent,
                    ["epgu", ctx.profile.journal_platform],
                    "у родителя в журнале нет СНИЛС, заявление на ЕПГУ нельзя сопоставить по СНИЛС",
                    {"epgu_request_id": row[0]},
                )
            )


def _people(ctx: Context) -> People:
    if ctx.people is None:
        raise RuntimeError("people are made before the planters run")
    return ctx.people
