"""People: staff, students and their families, with consistent documents and СНИЛС."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from canonical.normalize import make_snils
from emulators.scenario.context import PERSON_COLUMNS, Context, StudentInfo
from emulators.scenario.names import (
    Family,
    FullName,
    adult_name,
    child_name,
    father_name,
    mother_name,
    random_family,
    translit,
)


class People:
    """Makes person rows with consistent documents, СНИЛС and contacts."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("people")
        self.snils_used: set[int] = set()
        self.logins: set[str] = set()
        self.table = ctx.b.table("person", PERSON_COLUMNS)
        self.region_code = {
            "tpt": "69",
            "usolye": "36",
            "kpgt": "75",
            "talmenka": "01",
            "mazanka": "39",
        }[ctx.profile.id]

    def snils(self) -> str:
        while True:
            number = self.rng.randint(2_000_000, 999_999_999)
            if number not in self.snils_used:
                self.snils_used.add(number)
                return make_snils(number)

    def login(self, name: FullName) -> str:
        base = f"{translit(name.last)}.{translit(name.first)[:1]}{translit(name.middle)[:1]}"
        login = base
        n = 1
        while login in self.logins:
            n += 1
            login = f"{base}{n}"
        self.logins.add(login)
        return login

    def add(
        self,
        prefix: str,
        name: FullName,
        roles: list[str],
        birth: dt.date,
        created_at: str,
        *,
        position: str | None = None,
        employed_from: dt.date | None = None,
        with_snils: bool = True,
        with_passport: bool = True,
    ) -> str:
        rng = self.rng
        pid = self.ctx.b.next_id(prefix)
        age_now = self.ctx.year - birth.year
        values: dict[str, Any] = {
            "last_name": name.last,
            "first_name": name.first,
            "middle_name": name.middle,
            "roles": roles,
            "birth_date": birth.isoformat(),
            "sex": name.sex,
            "snils": self.snils() if with_snils else None,
            "login": self.login(name),
        }
        if with_passport:
            if age_now >= 14:
                issued = dt.date(
                    birth.year + (14 if age_now < 20 else 20), birth.month, min(birth.day, 28)
                )
                issued += dt.timedelta(days=rng.randint(5, 60))
                values.update(
                    document_type="21",
                    document_series=f"{self.region_code}{issued.year % 100:02d}",
                    document_number=f"{rng.randint(100000, 999999)}",
                    document_issued_on=issued.isoformat(),
                )
            else:
                letters = "АБВГДЕЖИКЛМНОПРСТУФХ"
                values.update(
                    document_type="03",
                    document_series=f"{rng.choice(['I', 'II', 'III', 'IV', 'V'])}-"
                    f"{rng.choice(letters)}{rng.choice(letters)}",
                    document_number=f"{rng.randint(100000, 999999)}",
                    document_issued_on=(birth + dt.timedelta(days=rng.randint(7, 40))).isoformat(),
                )
        if age_now >= 14:
            values["phone"] = (
                f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
            )
            values["email"] = f"{values['login'].replace('.', '_')}@mail.ru"
        if position is not None:
            values["position"] = position
        if employed_from is not None:
            values["employed_from"] = employed_from.isoformat()
        self.table.add(pid, created_at, **values)
        return pid


def birth_in(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))


def add_staff(ctx: Context, people: People, teachers_needed: int) -> None:
    rng = ctx.rng("staff")
    created = ctx.stamp(dt.date(ctx.year, 8, 20), 10 * 3600)
    college = ctx.profile.kind == "college"

    def hire(role: str, roles: list[str], position: str, sex: str | None = None) -> str:
        name = adult_name(rng, sex or rng.choice(["female", "female", "male"]))
        employed = dt.date(
            rng.randint(ctx.year - 25, ctx.year - 1),
            rng.choice([8, 9]),
            25 if rng.random() < 0.5 else 1,
        )
        pid = people.add(
            "e",
            name,
            roles,
            birth_in(rng, rng.randint(ctx.year - 62, ctx.year - 24)),
            created,
            position=position,
            employed_from=employed,
        )
        ctx.staff[role].append(pid)
        return pid

    hire("director", ["director"], "Директор")
    hire(
        "deputy",
        ["deputy"],
        "Заместитель директора по учебной работе"
        if college
        else "Заместитель директора по учебно-воспитательной работе",
    )
    hire("administrator", ["administrator"], "Администратор электронного журнала")
    hire("secretary", ["secretary"], "Секретарь учебной части")
    for _ in range(teachers_needed):
        hire("teacher", ["teacher"], "Преподаватель" if college else "Учитель")


def add_students_and_parents(ctx: Context, people: People) -> None:
    rng = ctx.rng("students")
    links = ctx.b.table(
        "parent_link", ["parent_id", "child_id", "relation", "legal_representative"]
    )
    enrolments = ctx.b.table(
        "enrolment",
        ["student_id", "group_id", "status", "starts_on", "ends_on", "order_number", "order_date"],
    )
    orders = ctx.b.table(
        "movement_order",
        [
            "student_id",
            "movement",
            "number",
            "order_date",
            "effective_date",
            "from_group_id",
            "to_group_id",
            "reason",
        ],
    )
    college = ctx.profile.kind == "college"
    per_group = math.ceil(ctx.n_students / len(ctx.groups))
    made = 0
    pending_sibling: list[tuple[Family, list[str], int]] = []
    order_numbers: dict[int, str] = {}
    for gi, group in enumerate(ctx.groups):
        for _ in range(per_group):
            if made >= ctx.n_students:
                break
            made += 1
            level = group.level
            entry_year = ctx.year - (level - 1)
            if college:
                birth_year = entry_year - 15 - (1 if rng.random() < 0.3 else 0)
                starts = dt.date(entry_year, 9, 1)
            else:
                birth_year = ctx.year - 6 - level - (1 if rng.random() < 0.4 else 0)
                entry_year = ctx.year - (level - 1)
                starts = dt.date(entry_year, 9, 1)
            sex = "male" if rng.random() < (0.6 if college else 0.5) else "female"
            # a sibling of an earlier student now and then (same parents, two children)
            sibling = None
            if pending_sibling and rng.random() < 0.08:
                sibling = pending_sibling.pop(rng.randrange(len(pending_sibling)))
                family, parents, other_group = sibling
                if other_group == gi:
                    pending_sibling.append(sibling)
                    sibling = None
            if sibling is None:
                family = random_family(rng)
                parents = []
            name = child_name(rng, family, sex)
            birth = birth_in(rng, birth_year)
            created = ctx.stamp(dt.date(entry_year, 8, 28), rng.randint(9 * 3600, 17 * 3600))
            sid = people.add("s", name, ["student"], birth, created)
            ctx.families[sid] = family
            info = StudentInfo(
                sid,
                group.id,
                ability=rng.uniform(2.9, 4.9),
                absence_rate=rng.choice([0.02, 0.04, 0.05, 0.07, 0.1, 0.15]),
                exempt_pe=rng.random() < 0.03,
            )
            info.intervals.append((group.id, starts, ctx.ends_on))
            ctx.students[sid] = info
            number = order_numbers.setdefault(entry_year, f"{rng.randint(120, 380)}-к")
            order_date = dt.date(entry_year, 8, 27)
            info.enrolment_id = ctx.b.next_id("en")
            enrolments.add(
                info.enrolment_id,
                created,
                student_id=sid,
                group_id=group.id,
                status="studying",
                starts_on=starts.isoformat(),
                order_number=number,
                order_date=order_date.isoformat(),
            )
            orders.add(
                ctx.b.next_id("mo"),
                created,
                student_id=sid,
                movement="enrolment",
                number=number,
                order_date=order_date.isoformat(),
                effective_date=starts.isoformat(),
                to_group_id=group.id,
            )
            if not parents:
                parent_created = created
                if rng.random() < 0.95:
                    mother = mother_name(rng, family)
                    parents.append(
                        people.add(
                            "r",
                            mother,
                            ["parent"],
                            birth_in(rng, birth.year - rng.randint(20, 38)),
                            parent_created,
                        )
                    )
                if rng.random() < 0.55 or not parents:
                    father = father_name(rng, family)
                    parents.append(
                        people.add(
                            "r",
                            father,
                            ["parent"],
                            birth_in(rng, birth.year - rng.randint(22, 42)),
                            parent_created,
                        )
                    )
                if rng.random() < 0.25:
                    pending_sibling.append((family, parents, gi))
            for parent in parents:
                relation = (
                    "mother"
                    if ctx.table("person").by_id[parent][ctx.table("person").index["sex"]]
                    == "female"
                    else "father"
                )
                links.add(
                    ctx.b.next_id("pl"),
                    created,
                    parent_id=parent,
                    child_id=sid,
                    relation=relation,
                    legal_representative=True,
                )
            info.parents = list(parents)
