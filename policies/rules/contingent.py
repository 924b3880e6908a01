"""Students, movement and staff (policy-catalog.md §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, not_, or_, select

from canonical.base import Platform
from canonical.contingent import MovementKind
from canonical.wording import MOVEMENT_RU
from local_store.schema import version_table
from local_store.violations import Finding
from policies.deadlines import DeadlineSpec
from policies.evidence import Verdict
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register
from policies.rules.common import EntryRow, current, entry_findings, entry_verdicts, ref


class MovementParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec(working_days=1)
    movements: list[str] | None = None
    """Movement kinds the deadline applies to (``None``: every kind)."""


@register
class MovementDeadline(Rule[MovementParams]):
    id = "contingent.movement.deadline"
    title = "Приказ о движении обучающегося отражён в журнале в срок"
    entity_kind = "movement_order"
    responsible_role = "secretary"
    params_model = MovementParams
    clauses = clause_map({"kpgt": "4.2", "mazanka": "3.6.1", "usolye": "4.6", "tpt": "4.8"})

    def evaluate(self, ctx: Context, params: MovementParams) -> Outcome:
        def where(a: dict[str, Any]) -> Any:
            v = a["v"]
            conditions = [v.c.platform != Platform.CONTINGENT.value]
            if params.movements:
                conditions.append(v.c.f_movement.in_(params.movements))
            return and_(*conditions)

        rows = entry_verdicts(
            ctx,
            kind="movement_order",
            spec=params.deadline,
            day=lambda a: a["v"].c.f_order_date,
            group=lambda a: func.coalesce(a["v"].c.f_to_group_id, a["v"].c.f_from_group_id),
            where=where,
            source_field=None,
            extra={
                "movement": lambda a: a["v"].c.f_movement,
                "number": lambda a: a["v"].c.f_number,
            },
        )
        findings = entry_findings(ctx, self, params, rows, what=_order_words, spec=params.deadline)
        return Outcome(findings, touched=ctx.touched_keys("movement_order"))


def _order_words(row: EntryRow) -> str:
    """«Приказ № 176-к (отчисление)»: two orders never read the same."""
    number = row.extra.get("number")
    movement = MOVEMENT_RU.get(str(row.extra.get("movement")), "движение обучающегося")
    return f"Приказ № {number} ({movement})" if number else f"Приказ ({movement})"


_FIELDS: dict[str, str] = {
    "last_name": "фамилия",
    "first_name": "имя",
    "birth_date": "дата рождения",
    "sex": "пол",
    "snils": "СНИЛС",
    "document_number": "документ (паспорт)",
    "email": "e-mail",
    "parent": "родитель",
    "group": "группа",
    "order": "номер и дата приказа",
}


def _field_present(name: str, person: Any, enr: Any) -> Any:
    if name == "parent":
        link = version_table("parent_link").alias("cf_link")
        return (
            select(literal(1))
            .select_from(link)
            .where(
                current(link),
                link.c.deployment == person.c.deployment,
                link.c.f_child_id == person.c.external_id,
            )
            .correlate(person)
            .exists()
        )
    if name == "group":
        return enr.c.f_group_id.is_not(None)
    if name == "order":
        return and_(
            enr.c.f_order_number.is_not(None),
            func.trim(enr.c.f_order_number) != "",
            enr.c.f_order_date.is_not(None),
        )
    column = person.c[f"f_{name}"]
    if name in ("birth_date", "sex"):
        return column.is_not(None)
    return and_(column.is_not(None), func.trim(column) != "")


ENROLLED = ("studying", "academic_leave")
"""Enrolment states of a student whose card the institution keeps."""


class CardFieldsParams(RuleParams):
    fields: tuple[str, ...] = (
        "last_name",
        "first_name",
        "birth_date",
        "sex",
        "snils",
        "group",
        "order",
    )


class CardDeadlineParams(CardFieldsParams):
    deadline: DeadlineSpec = DeadlineSpec(working_days=3)
    first_year_until: str | None = None
    """``MM-DD``: students enrolled from 1 August up to this day are due by its end."""


def _enrolments(ctx: Context, name: str) -> Any:
    enr = ctx.version("enrolment", name)
    return enr


@register
class CardRequiredFields(Rule[CardFieldsParams]):
    id = "contingent.card.required_fields"
    title = "Карточка обучающегося заполнена"
    entity_kind = "person"
    responsible_role = "secretary"
    params_model = CardFieldsParams
    clauses = clause_map({"kpgt": "4.2", "tpt": "4.9"})

    def evaluate(self, ctx: Context, params: CardFieldsParams) -> Outcome:
        person = ctx.version("person", "cr_person")
        enr = ctx.version("enrolment", "cr_enr")
        present = {f: _field_present(f, person, enr) for f in params.fields}
        query = (
            select(
                person.c.external_id,
                person.c.deployment,
                enr.c.f_group_id,
                *[p.label(f"has_{f}") for f, p in present.items()],
            )
            .select_from(person)
            .join(
                enr,
                and_(
                    current(enr),
                    enr.c.deployment == person.c.deployment,
                    enr.c.f_student_id == person.c.external_id,
                    enr.c.f_status.in_(ENROLLED),
                ),
            )
            .where(current(person), person.c.platform != Platform.CONTINGENT.value)
            .where(or_(*[not_(p) for p in present.values()]))
        )
        query = ctx.only_touched(query, person, "person")
        findings = []
        seen: set[str] = set()
        for r in ctx.conn.execute(query).mappings():
            if r["external_id"] in seen:
                continue
            seen.add(r["external_id"])
            missing = [f for f in params.fields if not r[f"has_{f}"]]
            findings.append(
                ctx.finding(
                    self,
                    entity_key=r["external_id"],
                    deployment=r["deployment"],
                    verdict=Verdict.VIOLATED.value,
                    params=params,
                    message="В карточке обучающегося не заполнено: "
                    + ", ".join(_FIELDS[f] for f in missing),
                    group=r["f_group_id"],
                    evidence={"missing_fields": missing},
                )
            )
        return Outcome(findings, touched=ctx.touched_keys("person"))


@register
class CardDeadline(Rule[CardDeadlineParams]):
    id = "contingent.card.deadline"
    title = "Карточка нового обучающегося заполнена в срок"
    entity_kind = "person"
    responsible_role = "secretary"
    params_model = CardDeadlineParams
    clauses = clause_map({"kpgt": "4.2", "tpt": "4.9"})

    def evaluate(self, ctx: Context, params: CardDeadlineParams) -> Outcome:
        cal = ctx.calendar
        until = params.first_year_until

        def due(day: dt.date) -> dt.datetime:
            if until:
                month, mday = (int(x) for x in until.split("-"))
                limit = dt.date(day.year, month, mday)
                if dt.date(day.year, 8, 1) <= day <= limit:
                    return cal.end_of_day(limit)
            spec = params.deadline
            return cal.end_of_day(
                cal.add_working_days(day, spec.working_days, school_week=spec.school_week)
            )

        table = ctx.day_function_table(
            "card_due", f"card-{params.deadline.model_dump_json()}-{until}", due
        )
        enr_t = version_table("enrolment")

        def joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
            enr = enr_t.alias("cd_enr")
            query = query.join(
                enr,
                and_(
                    current(enr),
                    enr.c.deployment == v.c.deployment,
                    enr.c.f_student_id == v.c.external_id,
                    enr.c.f_status.in_(ENROLLED),
                ),
            )
            return query, {"enr": enr}

        def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
            return query.join(table, table.c.day == a["enr"].c.f_starts_on), table.c.due

        enr_c = enr_t.alias("cd_enr_cond")

        def complete(t: Any) -> Any:
            # A person version counts as the card once every personal field is there.
            fields = [f for f in params.fields if f not in ("group", "order", "parent")]
            return and_(*[_field_present(f, t, enr_c) for f in fields])

        rows = entry_verdicts(
            ctx,
            kind="person",
            spec=None,
            condition=complete,
            joins=joins,
            day=lambda a: a["enr"].c.f_starts_on,
            group=lambda a: a["enr"].c.f_group_id,
            where=lambda a: a["v"].c.platform != Platform.CONTINGENT.value,
            source_field=None,
            deadline_override=deadline,
        )
        # A card never completed is ``contingent.card.required_fields``'s finding, not a late one.
        findings = entry_findings(ctx, self, params, rows, what="Карточка обучающегося")
        return Outcome(findings, touched=ctx.touched_keys("person"))


class StaffParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec(working_days=3)


@register
class StaffCardDeadline(Rule[StaffParams]):
    id = "staff.card.deadline"
    title = "Новый сотрудник внесён в систему в срок"
    entity_kind = "person"
    responsible_role = "secretary"
    params_model = StaffParams
    clauses = clause_map({"tpt": "4.4"})

    def evaluate(self, ctx: Context, params: StaffParams) -> Outcome:
        rows = entry_verdicts(
            ctx,
            kind="person",
            spec=params.deadline,
            day=lambda a: a["v"].c.f_employed_from,
            where=lambda a: and_(
                a["v"].c.f_employed_from.is_not(None), a["v"].c.platform != Platform.LOCAL.value
            ),
            source_field=None,
        )
        findings = entry_findings(
            ctx, self, params, rows, what="Карточка сотрудника", spec=params.deadline
        )
        return Outcome(findings, touched=ctx.touched_keys("person"))


class RegistryParams(RuleParams):
    registry_platform: str = Platform.CONTINGENT.value


@register
class RegistryMatch(Rule[RegistryParams]):
    id = "contingent.registry.match"
    title = "Контингент журнала совпадает с АИС «Учет контингента»"
    entity_kind = "person"
    responsible_role = "secretary"
    params_model = RegistryParams
    clauses = clause_map({"talmenka": "3", "usolye": "4.6", "tpt": "4.8"})

    def evaluate(self, ctx: Context, params: RegistryParams) -> Outcome:
        reg = params.registry_platform
        if not _registry_pulled(ctx, reg):
            # never compared with the registry: «нет в реестре» would be a guess
            return Outcome([], touched=None)
        jp = ctx.version("person", "rm_jp")
        je = ctx.version("enrolment", "rm_je")
        jg = ctx.version("group", "rm_jg")
        rp = ctx.version("person", "rm_rp")
        re_ = ctx.version("enrolment", "rm_re")
        rg = ctx.version("group", "rm_rg")

        own = ctx.version("person", "rm_own")

        def opened_by(p: Any, e: Any) -> Any:
            """The movement of the journal's order that opened the enrolment (a return…)."""
            m = ctx.version("movement_order", "rm_m")
            return (
                select(func.max(m.c.f_movement))
                .where(
                    current(m),
                    m.c.platform == p.c.platform,
                    m.c.deployment == p.c.deployment,
                    m.c.f_student_id == p.c.external_id,
                    m.c.f_number == e.c.f_order_number,
                )
                .scalar_subquery()
            )

        def side(p: Any, e: Any, g: Any, registry: bool, name: str, open_only: bool = True) -> Any:
            platform = (
                p.c.platform == reg
                if registry
                else p.c.platform.not_in([reg, Platform.LOCAL.value])
            )
            # A journal that keeps no СНИЛС or birth date (NetSchool) is completed from the
            # institution's own file of the same person (imported as ``local:<deployment>``
            # under the journal's id): that is how a person is recognised in the registry.
            snils, birth = p.c.f_snils, p.c.f_birth_date
            if not registry:
                snils = func.coalesce(p.c.f_snils, own.c.f_snils)
                birth = func.coalesce(p.c.f_birth_date, own.c.f_birth_date)
            query = select(
                p.c.external_id.label("pid"),
                p.c.deployment.label("dep"),
                snils.label("snils"),
                func.lower(p.c.f_last_name).label("ln"),
                func.lower(p.c.f_first_name).label("fn"),
                birth.label("bd"),
                e.c.f_status.label("status"),
                g.c.f_name.label("grp"),
                e.c.f_starts_on.label("since"),
                e.c.f_ends_on.label("until"),
                e.c.f_order_number.label("order_no"),
                (literal(None) if registry else opened_by(p, e)).label("opened_by"),
            ).select_from(p)
            if not registry:
                query = query.outerjoin(
                    own,
                    and_(
                        current(own),
                        own.c.platform == Platform.LOCAL.value,
                        own.c.deployment == literal("local:").concat(p.c.deployment),
                        own.c.external_id == p.c.external_id,
                    ),
                )
            return (
                query.join(
                    e,
                    and_(
                        current(e),
                        e.c.deployment == p.c.deployment,
                        e.c.f_student_id == p.c.external_id,
                        e.c.f_ends_on.is_(None) if open_only else literal(True),
                    ),
                )
                .outerjoin(g, ref(g, e, "f_group_id"))
                .where(current(p), platform)
                .subquery(name)
            )

        j = side(jp, je, jg, False, "rm_j")
        r = side(rp, re_, rg, True, "rm_r")
        by_snils = r.alias("rm_r_snils")
        by_name = r.alias("rm_r_name")

        def snils_match(a: Any, b: Any) -> Any:
            return and_(a.c.snils.is_not(None), a.c.snils == b.c.snils)

        def name_match(a: Any, b: Any) -> Any:
            # ФИО and birth date decide only where a side has no СНИЛС
            return and_(
                a.c.ln == b.c.ln,
                a.c.fn == b.c.fn,
                a.c.bd == b.c.bd,
                or_(a.c.snils.is_(None), b.c.snils.is_(None)),
            )

        # Two equality joins rather than one join on "СНИЛС or name": the database can then
        # look each side up instead of comparing every journal student with every registry one.
        def mismatch(row: Any, diffs: dict[str, Any], registry_id: Any) -> Finding:
            """The finding on the journal's person, whichever way the registry row was found."""
            return ctx.finding(
                self,
                entity_key=row["pid"],
                deployment=row["dep"],
                verdict=Verdict.VIOLATED.value,
                params=params,
                message="Расхождение с реестром контингента: "
                + ", ".join(_DIFF_RU.get(k, k) for k in diffs),
                evidence={"differences": diffs, "registry_id": registry_id},
            )

        def either(column: str) -> Any:
            return func.coalesce(by_snils.c[column], by_name.c[column])

        findings = []
        pairs = (
            select(
                j.c.pid,
                j.c.dep,
                j.c.status,
                j.c.grp,
                j.c.bd,
                j.c.since,
                either("pid").label("rpid"),
                either("status").label("rstatus"),
                either("grp").label("rgrp"),
                either("bd").label("rbd"),
                either("since").label("rsince"),
                j.c.opened_by,
            )
            .select_from(j)
            .outerjoin(by_snils, snils_match(j, by_snils))
            .outerjoin(by_name, and_(by_snils.c.pid.is_(None), name_match(j, by_name)))
        )
        for row in ctx.conn.execute(pairs).mappings():
            diffs: dict[str, Any] = {}
            if row["rpid"] is None:
                if row["status"] != "studying":
                    continue
                diffs["registry"] = "нет записи в реестре контингента"
            else:
                diffs = _differences(row, row)
            if not diffs:
                continue
            findings.append(mismatch(row, diffs, row["rpid"]))
        js = j.alias("rm_j_snils")
        jn = j.alias("rm_j_name")
        # A journal student who has left (expelled, on leave: no open enrolment) is still
        # the journal's person: the registry's «studying» is then a status to correct on a
        # student the deputy knows by name, not a stranger in the registry.
        gone = side(
            ctx.version("person", "rm_lp"),
            ctx.version("enrolment", "rm_le"),
            ctx.version("group", "rm_lg"),
            False,
            "rm_l",
            open_only=False,
        )
        ls, ln = gone.alias("rm_l_snils"), gone.alias("rm_l_name")

        def left(column: str) -> Any:
            return func.coalesce(ls.c[column], ln.c[column])

        orphans = (
            select(
                r.c.pid.label("rpid"),
                r.c.dep.label("rdep"),
                r.c.status.label("rstatus"),
                r.c.grp.label("rgrp"),
                r.c.since.label("rsince"),
                left("pid").label("pid"),
                left("dep").label("dep"),
                left("status").label("status"),
                left("grp").label("grp"),
                left("since").label("since"),
                left("until").label("until"),
                left("opened_by").label("opened_by"),
            )
            .select_from(r)
            .outerjoin(js, snils_match(js, r))
            .outerjoin(jn, and_(js.c.pid.is_(None), name_match(jn, r)))
            .outerjoin(ls, snils_match(ls, r))
            .outerjoin(ln, and_(ls.c.pid.is_(None), name_match(ln, r)))
            .where(js.c.pid.is_(None), jn.c.pid.is_(None), r.c.status == "studying")
        )
        latest: dict[str, Any] = {}
        for row in ctx.conn.execute(orphans).mappings():
            # one row per enrolment the left student had: the last one says how they left
            seen = latest.get(row["rpid"])
            if seen is None or _last_episode(row) > _last_episode(seen):
                latest[row["rpid"]] = row
        for rpid in sorted(latest):
            row = latest[rpid]
            if row["pid"] is not None:
                diffs = _differences(row, row) or {
                    "status": {"journal": str(row["status"]), "registry": str(row["rstatus"])}
                }
                findings.append(mismatch(row, diffs, rpid))
                continue
            findings.append(
                ctx.finding(
                    self,
                    entity_key=rpid,
                    deployment=row["rdep"],
                    verdict=Verdict.VIOLATED.value,
                    params=params,
                    message=f"В реестре контингента обучающийся группы «{row['rgrp']}», которого нет в журнале",
                    evidence={"differences": {"journal": "нет записи в журнале"}},
                )
            )
        return Outcome(findings, touched=None)


def _differences(journal: Any, registry: Any) -> dict[str, Any]:
    """What the journal's and the registry's current episodes of one student disagree on.

    The movement date is not compared for an enrolment the journal opened by a return from
    academic leave: «Модуль ПОО» starts a new enrolment then (order 584-к, 27.12), the
    registry goes on with the episode the leave paused; the same state kept two ways.  A
    registry that never got the return shows it in the status.
    """
    diffs: dict[str, Any] = {}
    returned = journal["opened_by"] == MovementKind.RETURN.value
    for label, a, b in (
        ("status", journal["status"], registry["rstatus"]),
        ("group", journal["grp"], registry["rgrp"]),
        ("movement_date", None if returned else journal["since"], registry["rsince"]),
    ):
        if a != b and a is not None and b is not None:
            diffs[label] = {"journal": str(a), "registry": str(b)}
    return diffs


def _last_episode(row: Any) -> tuple[dt.date, dt.date]:
    """Order of a student's enrolments: the latest ended (or still open) one last."""
    return (row["until"] or dt.date.max, row["since"] or dt.date.min)


def _registry_pulled(ctx: Context, platform: str) -> bool:
    """Whether the store holds the registry's view of people: only a pull of the registry
    brings it (a push's feedback does not)."""
    person = version_table("person")
    pulled = ctx.conn.execute(
        select(person.c.entity_id).where(person.c.platform == platform).limit(1)
    ).first()
    return pulled is not None


_DIFF_RU = {
    "registry": "нет в реестре",
    "status": "статус",
    "group": "группа",
    "movement_date": "дата движения",
}


class ReviewParams(RuleParams):
    every_months: int = Field(1, ge=1)
    per_group: bool = True


@register
class DataReview(Rule[ReviewParams]):
    id = "contingent.data.review"
    title = "Персональные данные обучающихся выверяются регулярно"
    entity_kind = "group"
    responsible_role = "class_teacher"
    params_model = ReviewParams
    clauses = clause_map({"mazanka": "3.4.6", "tpt": "4.5"})

    def evaluate(self, ctx: Context, params: ReviewParams) -> Outcome:
        """«Не реже одного раза в месяц (квартал)»: every calendar window of N months from the
        school year's start holds a review of the group; an empty window that is over is one
        violation, keyed by the window's first day."""
        year = ctx.version("school_year", "dr_year")
        group = ctx.version("group", "dr_group")
        review = ctx.version("data_review", "dr_review")
        today = ctx.calendar.local_date(ctx.data_as_of)
        starts = {
            y: start
            for y, start in ctx.conn.execute(
                select(year.c.external_id, year.c.f_starts_on).where(current(year))
            )
        }
        groups = ctx.conn.execute(
            select(
                group.c.external_id, group.c.deployment, group.c.f_year_id, group.c.f_curator_id
            ).where(
                current(group),
                # the journal's groups: the registry's view of them is not reviewed in the journal
                group.c.platform.not_in([Platform.CONTINGENT.value, Platform.LOCAL.value]),
            )
        ).all()
        reviews: dict[str | None, list[dt.date]] = {}
        for gid, on in ctx.conn.execute(
            select(review.c.f_group_id, review.c.f_reviewed_on).where(current(review))
        ):
            reviews.setdefault(gid, []).append(on)
        findings = []
        for g in groups:
            start = starts.get(g.f_year_id) or (min(starts.values()) if starts else None)
            if start is None:
                continue
            done = sorted(reviews.get(g.external_id, []) + reviews.get(None, []))
            window = dt.date(start.year, start.month, 1)
            while True:
                limit = add_months(window, params.every_months) - dt.timedelta(days=1)
                if limit >= today:
                    break  # the current window is not over yet
                if not any(window <= d <= limit for d in done):
                    findings.append(
                        ctx.finding(
                            self,
                            entity_key=g.external_id,
                            deployment=g.deployment,
                            period_key=window.isoformat(),
                            verdict=Verdict.VIOLATED.value,
                            params=params,
                            message=(
                                f"Нет выверки персональных данных за "
                                f"{window:%d.%m.%Y}–{limit:%d.%m.%Y}"
                            ),
                            person=g.f_curator_id,
                            group=g.external_id,
                            deadline=ctx.calendar.end_of_day(limit),
                            evidence={
                                "window": [window.isoformat(), limit.isoformat()],
                                "reviews": [d.isoformat() for d in done if d <= limit][-2:],
                            },
                        )
                    )
                window = add_months(window, params.every_months)
        return Outcome(findings, touched=None)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    return dt.date(year, month, 28)
