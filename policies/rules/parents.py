"""Parents, the e-diary service and ЕПГУ (policy-catalog.md §6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, literal, not_, or_, select

from canonical.base import Platform, Record
from canonical.journal import AbsenceCode
from canonical.people import ParentLink, Person
from canonical.requests import EpguRequest, EpguRequestStatus
from canonical.wording import count
from local_store.history import row_to_record, select_as_of
from local_store.schema import version_table
from policies.deadlines import DeadlineSpec
from policies.epgu import LOCAL_PREFIX, Requirements, decide_across, identity_unproven
from policies.evidence import Verdict
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register
from policies.rules.common import current, entry_findings, entry_verdicts, missing_entries, ref


class ParentFieldsParams(RuleParams):
    fields: tuple[str, ...] = (
        "last_name",
        "first_name",
        "sex",
        "birth_date",
        "document_number",
        "snils",
    )


_RU = {
    "last_name": "фамилия",
    "first_name": "имя",
    "sex": "пол",
    "birth_date": "дата рождения",
    "document_number": "паспорт",
    "document_series": "серия паспорта",
    "snils": "СНИЛС",
}


@register
class ParentRequiredFields(Rule[ParentFieldsParams]):
    id = "epgu.parent.required_fields"
    title = "Карточка родителя содержит данные для услуги ЕПГУ"
    entity_kind = "person"
    responsible_role = "class_teacher"
    params_model = ParentFieldsParams
    clauses = clause_map({"talmenka": "1.6"})

    def evaluate(self, ctx: Context, params: ParentFieldsParams) -> Outcome:
        """A linked parent's card, completed from the institution's own file of the same
        person where the journal keeps no such value (NetSchool: the name only), must hold
        every field the profile lists."""
        person = ctx.version("person", "pf_person")
        own = ctx.version("person", "pf_own")
        link = version_table("parent_link").alias("pf_link")
        is_parent = (
            select(literal(1))
            .select_from(link)
            .where(
                current(link),
                link.c.deployment == person.c.deployment,
                link.c.f_parent_id == person.c.external_id,
            )
            .correlate(person)
            .exists()
        )
        present = {}
        for f in params.fields:
            present[f] = or_(_filled(f, person.c[f"f_{f}"]), _filled(f, own.c[f"f_{f}"]))
        query = (
            select(
                person.c.external_id,
                person.c.deployment,
                *[p.label(f"has_{f}") for f, p in present.items()],
            )
            .select_from(person)
            .outerjoin(
                own,
                and_(
                    current(own),
                    own.c.platform == Platform.LOCAL.value,
                    own.c.deployment == literal(LOCAL_PREFIX).concat(person.c.deployment),
                    own.c.external_id == person.c.external_id,
                ),
            )
            .where(current(person), is_parent, or_(*[not_(p) for p in present.values()]))
        )
        # Every check looks at every linked parent (a few hundred cards): a card is
        # completed by two records (the journal's and the institution's file) and made
        # a parent's by a third (the link), so "what changed" is not one entity's change.
        findings = []
        for r in ctx.conn.execute(query).mappings():
            missing = [f for f in params.fields if not r[f"has_{f}"]]
            findings.append(
                ctx.finding(
                    self,
                    entity_key=r["external_id"],
                    deployment=r["deployment"],
                    verdict=Verdict.VIOLATED.value,
                    params=params,
                    message="В карточке родителя не заполнено: "
                    + ", ".join(_RU.get(f, f) for f in missing),
                    evidence={"missing_fields": missing},
                )
            )
        return Outcome(findings, touched=None)


def _filled(name: str, col: Any) -> Any:
    """A value is there: not NULL, and for text not blank."""
    if name in ("sex", "birth_date"):
        return col.is_not(None)
    return and_(col.is_not(None), func.trim(col) != "")


@register
class OwnChildOnly(Rule[RuleParams]):
    id = "epgu.own_child_only"
    title = "Родитель видит сведения только своего ребёнка"
    entity_kind = "epgu_request"
    responsible_role = "administrator"
    clauses = clause_map({"talmenka": "4.6", "mazanka": "2.6", "usolye": "3.5", "tpt": "3.7, 3.9"})

    def evaluate(self, ctx: Context, params: RuleParams) -> Outcome:
        """Re-decide every answered application with the pipeline's own decision
        (``policies.epgu``) over the journal as the store knows it now."""
        if not ctx.changed_since("epgu_request", "person", "parent_link"):
            # nothing the decision reads came, changed or went since the last check: the
            # decisions, and so the findings, are those that check recorded
            return Outcome([], touched=ctx.nothing_touched())
        requirements = Requirements.of_profile(ctx.profile)
        requests = [
            r
            for r in _current_records(ctx, "epgu_request")
            if isinstance(r, EpguRequest) and r.status != EpguRequestStatus.REFUSED
        ]
        if not requests:
            return Outcome([], touched=None)
        sources: dict[tuple[str, str], tuple[list[Person], list[ParentLink]]] = {}
        for person in _current_records(ctx, "person", journal=True):
            if isinstance(person, Person):
                key = (person.source.platform.value, person.source.deployment)
                sources.setdefault(key, ([], []))[0].append(person)
        for link in _current_records(ctx, "parent_link", journal=True):
            key = (link.source.platform.value, link.source.deployment)
            if isinstance(link, ParentLink) and key in sources:
                sources[key][1].append(link)
        findings = []
        for request in requests:
            decision, _ = decide_across(request, sources, requirements)
            if decision.provide or not identity_unproven(decision):
                continue
            findings.append(
                ctx.finding(
                    self,
                    entity_key=request.source.external_id,
                    deployment=request.source.deployment,
                    verdict=Verdict.VIOLATED.value,
                    params=params,
                    message=(
                        f"Заявление ЕПГУ {request.order_id}: заявитель не подтверждён как "
                        "законный представитель ребёнка, сведения о ребёнке выдавать нельзя"
                    ),
                    evidence={
                        "order_id": request.order_id,
                        "status": request.status.value,
                        "reason": decision.refusal,
                    },
                )
            )
        return Outcome(findings, touched=None)


def _current_records(ctx: Context, kind: str, *, journal: bool = False) -> list[Record]:
    table = version_table(kind)
    query = select_as_of(kind)
    if journal:
        query = query.where(table.c.platform.in_(JOURNAL_PLATFORMS))
    return [row_to_record(kind, row) for row in ctx.conn.execute(query)]


JOURNAL_PLATFORMS = ("netschool", "poo", "eljur", "local")
"""Where parents and their links come from: the journals and the institution's own files."""


class PaperParams(RuleParams):
    every_days: int = Field(7, ge=1)


@register
class PaperReport(Rule[PaperParams]):
    id = "diary.opt_out.paper_report"
    title = "Родителю, отказавшемуся от электронного дневника, выдаются сведения на бумаге"
    entity_kind = "diary_opt_out"
    responsible_role = "class_teacher"
    params_model = PaperParams
    clauses = clause_map({"talmenka": "2.12", "mazanka": "4.2", "tpt": "4.5"})

    def evaluate(self, ctx: Context, params: PaperParams) -> Outcome:
        opt = ctx.version("diary_opt_out", "pr_opt")
        rep = ctx.version("paper_report", "pr_rep")
        today = ctx.calendar.local_date(ctx.data_as_of)
        reports: dict[tuple[str, str], list[dt.date]] = {}
        for parent, child, on in ctx.conn.execute(
            select(rep.c.f_parent_id, rep.c.f_child_id, rep.c.f_given_on).where(current(rep))
        ):
            reports.setdefault((parent, child), []).append(on)
        findings = []
        for r in ctx.conn.execute(select(opt).where(current(opt))).mappings():
            end = min(today, r["f_withdrawn_on"] or today)
            given = sorted(
                d
                for d in reports.get((r["f_parent_id"], r["f_child_id"]), [])
                if d >= r["f_declined_on"]
            )
            last = r["f_declined_on"]
            for on in [*given, None]:
                limit = last + dt.timedelta(days=params.every_days)
                reached = on if on is not None else end
                if (on is not None and on > limit) or (on is None and end > limit):
                    findings.append(
                        ctx.finding(
                            self,
                            entity_key=r["external_id"],
                            deployment=r["deployment"],
                            period_key=limit.isoformat(),
                            verdict=Verdict.VIOLATED.value,
                            params=params,
                            message=f"Сведения на бумаге не выданы до {limit:%d.%m.%Y} (не реже раза в {count(params.every_days, 'день', 'дня', 'дней')})",
                            deadline=ctx.calendar.end_of_day(limit),
                            evidence={
                                "previous": last.isoformat(),
                                "next": reached.isoformat() if on else None,
                            },
                        )
                    )
                if on is not None:
                    last = on
        return Outcome(findings, touched=None)


class RegistrationParams(RuleParams):
    days: int = Field(3, ge=0)


@register
class RegistrationDeadline(Rule[RegistrationParams]):
    id = "diary.registration.deadline"
    title = "Регистрация в электронном дневнике в течение N дней после получения кода"
    entity_kind = "invitation_code"
    responsible_role = "class_teacher"
    params_model = RegistrationParams
    clauses = clause_map({"mazanka": "4.3–4.4"})

    def evaluate(self, ctx: Context, params: RegistrationParams) -> Outcome:
        code = ctx.version("invitation_code", "rg_code")
        today = ctx.calendar.local_date(ctx.data_as_of)
        late = func.coalesce(code.c.f_registered_on, today)
        days = ctx.day_function_table(
            "rg_limit",
            f"reg-{params.days}",
            lambda d: ctx.calendar.at(d + dt.timedelta(days=params.days), dt.time(0)),
        )
        reg = ctx.due_table(DeadlineSpec(), "rg_reg")
        query = (
            select(
                code.c.external_id,
                code.c.deployment,
                code.c.f_person_id,
                code.c.f_issued_on,
                code.c.f_registered_on,
            )
            .select_from(code)
            .join(days, days.c.day == code.c.f_issued_on)
            .join(reg, reg.c.day == late)
            .where(current(code), reg.c.midnight > days.c.due)
        )
        query = ctx.only_touched(query, code, "invitation_code")
        findings = [
            ctx.finding(
                self,
                entity_key=r.external_id,
                deployment=r.deployment,
                verdict=Verdict.VIOLATED.value,
                params=params,
                message=(
                    f"Код выдан {r.f_issued_on:%d.%m.%Y}, "
                    + (
                        f"регистрация {r.f_registered_on:%d.%m.%Y}"
                        if r.f_registered_on
                        else "регистрации нет"
                    )
                    + f" (срок — {count(params.days, 'день', 'дня', 'дней')})"
                ),
                person=r.f_person_id,
                evidence={
                    "issued_on": r.f_issued_on.isoformat(),
                    "registered_on": r.f_registered_on.isoformat() if r.f_registered_on else None,
                },
            )
            for r in ctx.conn.execute(query)
        ]
        return Outcome(findings, touched=ctx.touched_keys("invitation_code"))


class ReasonParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec(working_days=2)
    from_document: bool = False
    """Count from the supporting document's date (else from the day of the absence)."""


NO_REASON_CODES = (AbsenceCode.OP.value, AbsenceCode.OSV.value)
"""A late arrival or an exemption is no missed lesson: no reason is ever due for it (its
own late entry is attendance.deadline's business)."""


@register
class AbsenceReasonDeadline(Rule[ReasonParams]):
    id = "absence.reason.deadline"
    title = "Причина пропуска (уважительная / неуважительная) указана в срок"
    entity_kind = "absence"
    responsible_role = "class_teacher"
    params_model = ReasonParams
    clauses = clause_map({"talmenka": "2.9", "mazanka": "3.4.1", "tpt": "4.5"})

    def evaluate(self, ctx: Context, params: ReasonParams) -> Outcome:
        group_t = version_table("group")
        lesson_t = version_table("lesson")

        def joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
            lesson = lesson_t.alias("ar_lesson")
            group = group_t.alias("ar_group")
            query = query.outerjoin(lesson, ref(lesson, v, "f_lesson_id")).outerjoin(
                group, ref(group, lesson, "f_group_id")
            )
            return query, {"lesson": lesson, "group": group}

        def day(a: dict[str, Any]) -> Any:
            v = a["v"]
            return v.c.f_document_date if params.from_document else v.c.f_date

        def set_reason(t: Any) -> Any:
            return or_(t.c.f_valid.is_not(None), t.c.f_code != "ОТ")

        def observed_after_baseline(a: dict[str, Any]) -> Any:
            # The reason's deadline runs from the day of the absence (or the
            # document), not from when the absence was entered: a reason first
            # seen after that deadline is late even when it arrived together
            # with a late absence.  The regulation puts the reason on the
            # curator weekly (tpt 4.5), and §8 judges the reason as an entry
            # of its own; attendance.deadline judges the absence's lateness.
            v = a["v"]
            condition = v.c.prev_seen_run_id.is_not(None) & v.c.f_code.not_in(NO_REASON_CODES)
            if params.from_document:
                condition = condition & v.c.f_document_date.is_not(None)
            return condition

        base = (lambda a: a["v"].c.f_document_date.is_not(None)) if params.from_document else None
        rows = entry_verdicts(
            ctx,
            kind="absence",
            spec=params.deadline,
            condition=set_reason,
            joins=joins,
            day=day,
            group=lambda a: a["lesson"].c.f_group_id,
            person=lambda a: a["group"].c.f_curator_id,
            where=observed_after_baseline,
            source_field=None,
        )
        rows += missing_entries(
            ctx,
            kind="absence",
            spec=params.deadline,
            day=day,
            missing=lambda v: and_(v.c.f_valid.is_(None), v.c.f_code == "ОТ"),
            joins=joins,
            group=lambda a: a["lesson"].c.f_group_id,
            person=lambda a: a["group"].c.f_curator_id,
            where=base,
        )
        findings = entry_findings(
            ctx,
            self,
            params,
            rows,
            what="Причина пропуска по документу" if params.from_document else "Причина пропуска",
            day_words="от" if params.from_document else "за",
            spec=params.deadline,
        )
        return Outcome(findings, touched=ctx.touched_keys("absence"))
