"""The institution's own records, ЕПГУ and «Е-услуги» records, and the platform accounts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from emulators.scenario.context import Context, group_of
from emulators.scenario.people import People
from emulators.scenario.profiles import Profile


def add_local_records(ctx: Context) -> None:
    """The institution's own records (imported from CSV/XLSX): codes, opt-outs, reviews, outages."""
    rng = ctx.rng("local")
    p = ctx.profile
    codes = ctx.b.table("invitation_code", ["person_id", "issued_on", "registered_on"])
    issued = dt.date(ctx.year, 9, 2)
    while not ctx.cal.is_working_day(issued):
        issued += dt.timedelta(days=1)
    coded: set[str] = set()
    for sid, info in sorted(ctx.students.items(), key=lambda kv: int(kv[0][1:])):
        enrol = ctx.table("enrolment").by_id[info.enrolment_id]
        start = max(issued, dt.date.fromisoformat(enrol[ctx.table("enrolment").index["starts_on"]]))
        for person in [sid, *info.parents]:
            if person in coded:  # a parent of two children gets one code
                continue
            coded.add(person)
            registered = start + dt.timedelta(days=rng.choice([0, 0, 1, 1, 2, 3]))
            codes.add(
                ctx.b.next_id("ic"),
                ctx.stamp(registered, 18 * 3600),
                person_id=person,
                issued_on=start.isoformat(),
                registered_on=registered.isoformat(),
            )
    # parents who declined the e-diary and the paper reports they get
    optouts = ctx.b.table("diary_opt_out", ["parent_id", "child_id", "declined_on", "withdrawn_on"])
    papers = ctx.b.table("paper_report", ["parent_id", "child_id", "given_on"])
    candidates = sorted(ctx.students.values(), key=lambda s: int(s.id[1:]))
    every = 7
    for info in rng.sample(candidates, k=min(len(candidates), max(4, len(candidates) // 150))):
        if not info.parents:
            continue
        parent = info.parents[0]
        declined = dt.date(ctx.year, 9, rng.randint(2, 12))
        row = optouts.add(
            ctx.b.next_id("oo"),
            ctx.stamp(declined, 12 * 3600),
            parent_id=parent,
            child_id=info.id,
            declined_on=declined.isoformat(),
        )
        ctx.optouts.append(row)
        # every seven calendar days, holidays included (the class teacher sends it
        # home with the child or by post): no gap ever exceeds the weekly rule
        given = declined
        while True:
            given += dt.timedelta(days=every)
            if given >= ctx.ends_on:
                break
            papers.add(
                ctx.b.next_id("pr"),
                ctx.stamp(given, 16 * 3600),
                parent_id=parent,
                child_id=info.id,
                given_on=given.isoformat(),
            )
    # personal data reviews: every month per group
    reviews = ctx.b.table("data_review", ["group_id", "reviewed_on", "reviewer_id"])
    month = dt.date(ctx.year, 9, 1)
    while month < ctx.ends_on:
        for group in ctx.groups:
            day = month + dt.timedelta(days=rng.randint(18, 24))
            while not ctx.cal.is_working_day(day):
                day -= dt.timedelta(days=1)
            if day >= ctx.ends_on:
                continue
            reviews.add(
                ctx.b.next_id("dr"),
                ctx.stamp(day, 15 * 3600),
                group_id=group.id,
                reviewed_on=day.isoformat(),
                reviewer_id=group.curator_id,
            )
        month = (month.replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    ctx.b.table(
        "approval",
        [
            "rule_id",
            "entity_kind",
            "entity_id",
            "document_number",
            "document_date",
            "approved_by",
            "note",
        ],
    )
    ctx.b.table("journal_outage", ["starts_at", "ends_at"])
    if p.id == "mazanka":
        ctx.b.table(
            "result_announcement",
            ["group_id", "subject_id", "work_name", "work_date", "announced_on"],
        )


def add_external_records(ctx: Context, people: People) -> None:
    """ЕПГУ applications and «Е-услуги» notices that match the journal."""
    rng = ctx.rng("external")
    requests = ctx.b.table(
        "epgu_request",
        [
            "order_id",
            "received_at",
            "applicant_last_name",
            "applicant_first_name",
            "applicant_middle_name",
            "applicant_birth_date",
            "applicant_snils",
            "applicant_sex",
            "applicant_document_series",
            "applicant_document_number",
            "child_last_name",
            "child_first_name",
            "child_middle_name",
            "child_birth_date",
            "child_snils",
            "period_from",
            "period_to",
            "status",
        ],
    )
    expected = ctx.b.table(
        "expected_enrolment",
        [
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "snils",
            "sex",
            "group_name",
            "grade",
            "expected_on",
            "notified_at",
        ],
    )
    person = ctx.table("person")
    pi = person.index
    days = [
        ctx.window_start + dt.timedelta(days=i)
        for i in range((ctx.window_end - ctx.window_start).days)
    ]
    work_days = [d for d in days if ctx.cal.is_working_day(d)] or days
    chosen = rng.sample(
        sorted(ctx.students, key=lambda s: int(s[1:])),
        k=min(len(ctx.students), max(8, len(ctx.students) // 60)),
    )
    for sid in chosen:
        info = ctx.students[sid]
        if not info.parents:
            continue
        parent = person.by_id[info.parents[0]]
        child = person.by_id[sid]
        day = rng.choice(work_days)
        row = requests.add(
            ctx.b.next_id("eq"),
            ctx.stamp(day, rng.randint(8 * 3600, 22 * 3600)),
            order_id=str(rng.randint(3_000_000_000, 3_999_999_999)),
            received_at=ctx.stamp(day, rng.randint(8 * 3600, 22 * 3600)),
            applicant_last_name=parent[pi["last_name"]],
            applicant_first_name=parent[pi["first_name"]],
            applicant_middle_name=parent[pi["middle_name"]],
            applicant_birth_date=parent[pi["birth_date"]],
            applicant_snils=parent[pi["snils"]],
            applicant_sex=parent[pi["sex"]],
            applicant_document_series=parent[pi["document_series"]],
            applicant_document_number=parent[pi["document_number"]],
            child_last_name=child[pi["last_name"]],
            child_first_name=child[pi["first_name"]],
            child_middle_name=child[pi["middle_name"]],
            child_birth_date=child[pi["birth_date"]],
            child_snils=child[pi["snils"]],
            period_from=ctx.year_start.isoformat(),
            period_to=ctx.year_end.isoformat(),
            status="received",
        )
        row[1] = row[requests.index["received_at"]]
        ctx.epgu_rows.append(row)
    # «Е-услуги» notices for the students enrolled by order inside the window
    for order in ctx.orders:
        oi = ctx.table("movement_order").index
        if order[oi["movement"]] != "enrolment":
            continue
        child = person.by_id[order[oi["student_id"]]]
        group = group_of(ctx, order[oi["to_group_id"]])
        order_date = dt.date.fromisoformat(order[oi["order_date"]])
        notified = ctx.stamp(
            order_date - dt.timedelta(days=rng.randint(1, 3)), rng.randint(9 * 3600, 17 * 3600)
        )
        expected.add(
            ctx.b.next_id("ee"),
            notified,
            last_name=child[pi["last_name"]],
            first_name=child[pi["first_name"]],
            middle_name=child[pi["middle_name"]],
            birth_date=child[pi["birth_date"]],
            snils=child[pi["snils"]],
            sex=child[pi["sex"]],
            group_name=group.name,
            grade=group.grade,
            expected_on=order[oi["effective_date"]],
            notified_at=notified,
        )


def add_accounts(ctx: Context) -> None:
    """Platform logins: staff by role, some students and parents; a few Cyrillic passwords."""
    rng = ctx.rng("accounts")
    person = ctx.table("person")
    pi = person.index
    p = ctx.profile
    cyrillic_words = ("Журнал", "Ёлка", "Сверка", "Школа", "Техникум", "Отличник", "Пятёрка")

    def password(cyrillic: bool) -> str:
        if cyrillic:
            return f"{rng.choice(cyrillic_words)}-{rng.randint(10, 99)}{rng.choice('!#%')}"
        alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        return "".join(rng.choice(alphabet) for _ in range(10))

    def add(role: str, pid: str, cyrillic: bool = False) -> None:
        row = person.by_id[pid]
        ctx.b.accounts.append(
            {
                "role": role,
                "login": row[pi["login"]],
                "password": password(cyrillic),
                "person_id": pid,
                "name": f"{row[pi['last_name']]} {row[pi['first_name']]} {row[pi['middle_name']]}".strip(),
                "platform": p.journal_platform,
                "school_id": p.school_id,
                "tenant": p.deployment,
            }
        )

    for role in ("administrator", "director", "deputy", "secretary"):
        for pid in ctx.staff[role]:
            add(role, pid, cyrillic=role == "deputy")
    curators = set(ctx.staff["class_teacher"])
    for i, pid in enumerate(ctx.staff["teacher"]):
        add("class_teacher" if pid in curators else "teacher", pid, cyrillic=i % 5 == 2)
    students = sorted(ctx.students.values(), key=lambda s: int(s.id[1:]))
    # Spread over the whole list, so the logins cover every class or course: the lowest ids are
    # the youngest class, and first-graders get neither marks nor homework.
    count = max(10, len(students) // 10)
    spread = students[:: max(1, len(students) // count)][:count]
    for i, s in enumerate(spread):
        add("student", s.id, cyrillic=i % 4 == 1)
    two_children: dict[str, list[str]] = defaultdict(list)
    for s in students:
        for parent in s.parents:
            two_children[parent].append(s.id)
    multi = [
        pid
        for pid, kids in sorted(two_children.items(), key=lambda kv: int(kv[0][1:]))
        if len(kids) > 1
    ]
    single = [s.parents[0] for s in students[:: max(1, len(students) // 20)] if s.parents]
    for i, pid in enumerate(multi[:10] + [x for x in single if x not in multi][:10]):
        add("parent", pid, cyrillic=i % 3 == 0)
    # the accounts' children, so a client can check it sees only its own
    for account in ctx.b.accounts:
        if account["role"] == "parent":
            account["children"] = two_children[account["person_id"]]


def platform_kinds(p: Profile) -> dict[str, list[str]]:
    journal = [
        "institution",
        "school_year",
        "period",
        "holiday",
        "person",
        "parent_link",
        "group",
        "subgroup",
        "subgroup_member",
        "subject",
        "teaching_assignment",
        "enrolment",
        "movement_order",
        "work_kind",
        "plan",
        "plan_item",
        "lesson",
        "homework",
        "mark",
        "absence",
    ]
    return {
        p.journal_platform: journal,
        "contingent": [
            "institution",
            "person",
            "parent_link",
            "group",
            "enrolment",
            "movement_order",
        ],
        "epgu": ["epgu_request"],
        "e_uslugi": ["expected_enrolment"],
        "local": [
            "person",
            "diary_opt_out",
            "paper_report",
            "invitation_code",
            "approval",
            "journal_outage",
            "result_announcement",
            "data_review",
        ],
    }
