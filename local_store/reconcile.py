"""Reconciliation: the journal, the contingent registry, «Е-услуги» and ЕПГУ against each other.

The store holds what each source showed; this module reads the current
versions (whole tables, joined in SQL), resolves identity across sources
(:mod:`local_store.identity`) and turns every difference into a finding.
Differences that one unentered order explains are grouped under that order as
their root cause: a transfer order for a whole group that never reached the
journal is one cause with 25 consequences, not 25 unrelated rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select
from sqlalchemy.sql import Select

from canonical.normalize import SnilsError, name_key, normalize_name_part, snils_digits
from canonical.wording import MOVEMENT_RU, STATUS_RU
from local_store.discrepancies import Finding, PersistStats, RootCause, Side, persist
from local_store.identity import (
    IdentityResult,
    PersonFacts,
    RefKey,
    resolve_identities,
)
from local_store.reconcile_schema import identity_resolution
from local_store.runs import RunStatus, data_time, finish_run, start_run
from local_store.schema import version_table

JOURNAL_PLATFORMS = frozenset({"netschool", "poo", "eljur"})
REGISTRY_PLATFORM = "contingent"
E_USLUGI_PLATFORM = "e_uslugi"
EPGU_PLATFORM = "epgu"

FIELD_RU = {
    "last_name": "фамилия",
    "first_name": "имя",
    "middle_name": "отчество",
    "birth_date": "дата рождения",
    "sex": "пол",
    "snils": "СНИЛС",
    "document_type": "вид документа",
    "document_series": "серия документа",
    "document_number": "номер документа",
}
PD_FIELDS = tuple(FIELD_RU)

_STATUS_MOVEMENTS = frozenset({"expulsion", "academic_leave", "return", "graduation"})


@dataclass(frozen=True)
class ReconcileSettings:
    e_uslugi_deadline_days: int = 3
    """Calendar days after ``expected_on`` within which an «Е-услуги» enrolment must be in the journal."""


@dataclass
class OrderView:
    external_id: str
    movement: str
    number: str
    order_date: dt.date
    effective_date: dt.date
    from_group: str | None
    to_group: str | None


@dataclass
class StudentView:
    """One source's picture of one student: the card, the current episode and the orders."""

    platform: str
    deployment: str
    external_id: str
    person: Mapping[str, Any]
    group_name: str | None = None
    status: str | None = None
    orders: list[OrderView] = field(default_factory=list)

    @property
    def ref(self) -> RefKey:
        return ("person", self.platform, self.deployment, self.external_id)

    @property
    def full_name(self) -> str:
        p = self.person
        return " ".join(x for x in (p["last_name"], p["first_name"], p["middle_name"]) if x)

    def side(self, value: Any) -> Side:
        return Side(self.platform, self.deployment, self.external_id, value)


@dataclass
class ReconcileInput:
    """Everything reconciliation reads, already joined."""

    persons: list[dict[str, Any]]
    students: dict[RefKey, StudentView]
    expected: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    epgu: list[dict[str, Any]]
    parents_of: dict[tuple[str, str, str], set[str]]
    """(platform, deployment, parent id) → child ids, from parent links."""


@dataclass
class ReconcileResult:
    findings: list[Finding]
    causes: list[RootCause]
    identity: IdentityResult
    stats: PersistStats | None = None
    run_id: int | None = None

    def by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for f in self.findings:
            counts[f.rule] += 1
        return dict(sorted(counts.items()))


# --------------------------------------------------------------------------- loading


def _current(kind: str, *columns: str) -> Select[Any]:
    t = version_table(kind)
    cols = [t.c.platform, t.c.deployment, t.c.external_id] + [
        t.c[f"f_{c}"].label(c) for c in columns
    ]
    return select(*cols).where(t.c.superseded_run_id.is_(None))


def _group_name_join(kind: str, group_column: str, label: str) -> tuple[Any, Any]:
    """An outer join of ``kind``'s rows to the current group they reference, for its name."""
    t = version_table(kind)
    g = version_table("group").alias(label)
    cond = and_(
        g.c.platform == t.c.platform,
        g.c.deployment == t.c.deployment,
        g.c.external_id == t.c[group_column],
        g.c.superseded_run_id.is_(None),
    )
    return g, cond


def load_input(conn: Connection) -> ReconcileInput:
    """Read the current state of every source in a handful of set-based queries."""
    person_cols = (
        "last_name",
        "first_name",
        "middle_name",
        "roles",
        "birth_date",
        "sex",
        "snils",
        "document_type",
        "document_series",
        "document_number",
        "email",
    )
    persons = [dict(r) for r in conn.execute(_current("person", *person_cols)).mappings()]

    e = version_table("enrolment")
    g, cond = _group_name_join("enrolment", "f_group_id", "g")
    enrolments = conn.execute(
        select(
            e.c.platform,
            e.c.deployment,
            e.c.f_student_id.label("student_id"),
            e.c.f_status.label("status"),
            e.c.f_starts_on.label("starts_on"),
            e.c.f_ends_on.label("ends_on"),
            g.c.f_name.label("group_name"),
        )
        .select_from(e.outerjoin(g, cond))
        .where(e.c.superseded_run_id.is_(None))
    ).mappings()

    m = version_table("movement_order")
    gf, cond_from = _group_name_join("movement_order", "f_from_group_id", "gf")
    gt, cond_to = _group_name_join("movement_order", "f_to_group_id", "gt")
    orders = conn.execute(
        select(
            m.c.platform,
            m.c.deployment,
            m.c.external_id,
            m.c.f_student_id.label("student_id"),
            m.c.f_movement.label("movement"),
            m.c.f_number.label("number"),
            m.c.f_order_date.label("order_date"),
            m.c.f_effective_date.label("effective_date"),
            gf.c.f_name.label("from_group"),
            gt.c.f_name.label("to_group"),
        )
        .select_from(m.outerjoin(gf, cond_from).outerjoin(gt, cond_to))
        .where(m.c.superseded_run_id.is_(None))
    ).mappings()

    students: dict[RefKey, StudentView] = {}
    by_person = {("person", p["platform"], p["deployment"], p["external_id"]): p for p in persons}
    for ref, p in by_person.items():
        if "student" in (p["roles"] or []):
            students[ref] = StudentView(ref[1], ref[2], ref[3], p)
    episodes: dict[RefKey, list[Mapping[str, Any]]] = defaultdict(list)
    for row in enrolments:
        ref = ("person", row["platform"], row["deployment"], row["student_id"])
        if ref in by_person:
            episodes[ref].append(dict(row))
    for ref, rows in episodes.items():
        view = students.get(ref) or StudentView(ref[1], ref[2], ref[3], by_person[ref])
        students[ref] = view
        current = max(rows, key=lambda r: (r["ends_on"] is None, r["starts_on"] or dt.date.min))
        view.group_name = current["group_name"]
        view.status = current["status"]
    for row in orders:
        ref = ("person", row["platform"], row["deployment"], row["student_id"])
        if ref in students:
            students[ref].orders.append(
                OrderView(
                    row["external_id"],
                    row["movement"],
                    row["number"],
                    row["order_date"],
                    row["effective_date"],
                    row["from_group"],
                    row["to_group"],
                )
            )

    expected = [
        dict(r)
        for r in conn.execute(
            _current(
                "expected_enrolment",
                "last_name",
                "first_name",
                "middle_name",
                "birth_date",
                "snils",
                "group_name",
                "expected_on",
            )
        ).mappings()
    ]
    feedback = [
        dict(r)
        for r in conn.execute(
            _current(
                "registry_feedback",
                "message_id",
                "student_id",
                "result",
                "error_code",
                "field",
                "message",
                "received_at",
            )
        ).mappings()
    ]
    epgu = [
        dict(r)
        for r in conn.execute(
            _current(
                "epgu_request",
                "order_id",
                "received_at",
                "applicant_last_name",
                "applicant_first_name",
                "applicant_middle_name",
                "applicant_birth_date",
                "applicant_snils",
                "child_last_name",
                "child_first_name",
                "child_middle_name",
                "child_birth_date",
                "status",
            )
        ).mappings()
    ]
    parents_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in conn.execute(_current("parent_link", "parent_id", "child_id")).mappings():
        parents_of[(row["platform"], row["deployment"], row["parent_id"])].add(row["child_id"])
    return ReconcileInput(persons, students, expected, feedback, epgu, dict(parents_of))


def identity_facts(data: ReconcileInput) -> list[PersonFacts]:
    facts = [
        PersonFacts(
            "person",
            p["platform"],
            p["deployment"],
            p["external_id"],
            p["last_name"] or "",
            p["first_name"] or "",
            p["middle_name"] or "",
            p["birth_date"],
            p["snils"],
            p["document_type"],
            p["document_series"],
            p["document_number"],
        )
        for p in data.persons
    ]
    facts.extend(
        PersonFacts(
            "expected_enrolment",
            x["platform"],
            x["deployment"],
            x["external_id"],
            x["last_name"] or "",
            x["first_name"] or "",
            x["middle_name"] or "",
            x["birth_date"],
            x["snils"],
        )
        for x in data.expected
    )
    return facts


# --------------------------------------------------------------------------- finding


def _norm(field_name: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if field_name in ("last_name", "first_name", "middle_name"):
        return normalize_name_part(str(value))
    if field_name == "snils":
        try:
            return snils_digits(str(value))
        except SnilsError:
            return str(value)
    if field_name in ("document_series", "document_number"):
        return "".join(ch for ch in str(value) if ch.isalnum()).upper()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _group_norm(name: str | None) -> str | None:
    return "".join(name.split()).casefold() if name else None


def _ru_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _order_label(o: OrderView) -> str:
    number = f"№ {o.number}" if (o.number or "").strip() else "без номера"
    return (
        f"приказ {number} от {_ru_date(o.order_date)} ({MOVEMENT_RU.get(o.movement, o.movement)})"
    )


def find_discrepancies(
    data: ReconcileInput,
    identity: IdentityResult,
    today: dt.date,
    settings: ReconcileSettings | None = None,
) -> tuple[list[Finding], list[RootCause]]:
    """Every difference between the sources, grouped under root causes where an order explains it."""
    settings = settings or ReconcileSettings()
    findings: list[Finding] = []
    cause_members: dict[str, list[str]] = defaultdict(list)
    causes: dict[str, RootCause] = {}

    clusters = identity.clusters()
    for person_key, refs in sorted(clusters.items()):
        journal = [
            data.students[r] for r in refs if r in data.students and r[1] in JOURNAL_PLATFORMS
        ]
        registry = [
            data.students[r] for r in refs if r in data.students and r[1] == REGISTRY_PLATFORM
        ]
        if not journal and not registry:
            continue
        j = journal[0] if journal else None
        r = registry[0] if registry else None
        findings.extend(_compare_student(person_key, j, r, causes, cause_members))

    findings.extend(_identity_findings(identity, data))
    findings.extend(_feedback_findings(data))
    findings.extend(_e_uslugi_findings(data, identity, today, settings))
    findings.extend(_epgu_findings(data))

    # A cause's consequences carry its key; its title counts them.
    final_causes = []
    for key, cause in causes.items():
        members = cause_members[key]
        details = dict(cause.details)
        details["consequences"] = len(members)
        details["students"] = len({m for m in members})
        final_causes.append(RootCause(key, cause.cause_kind, cause.title, details))
    return findings, final_causes


def _compare_student(
    person_key: str,
    j: StudentView | None,
    r: StudentView | None,
    causes: dict[str, RootCause],
    cause_members: dict[str, list[str]],
) -> list[Finding]:
    out: list[Finding] = []
    subject = (j or r).full_name  # type: ignore[union-attr]
    group = (j.group_name if j else None) or (r.group_name if r else None)

    if j is not None and r is None:
        if j.status in (None, "studying", "academic_leave"):
            out.append(
                Finding(
                    "person.missing_in_registry",
                    person_key,
                    subject,
                    f"{subject} ({group or 'без группы'}) есть в журнале, в реестре контингента нет",
                    person_key,
                    group,
                    side_a=j.side(j.group_name),
                    side_b=Side(REGISTRY_PLATFORM, "", None, None),
                )
            )
        return _attach_order_causes(out, j, None, person_key, subject, group, causes, cause_members)
    if r is not None and j is None:
        if r.status in (None, "studying", "academic_leave"):
            out.append(
                Finding(
                    "person.missing_in_journal",
                    person_key,
                    subject,
                    f"{subject} ({group or 'без группы'}) числится в реестре контингента, в журнале нет",
                    person_key,
                    group,
                    side_a=Side("journal", "", None, None),
                    side_b=r.side(r.group_name),
                )
            )
        return _attach_order_causes(out, None, r, person_key, subject, group, causes, cause_members)
    assert j is not None and r is not None

    if j.group_name and r.group_name and _group_norm(j.group_name) != _group_norm(r.group_name):
        out.append(
            Finding(
                "enrolment.group_mismatch",
                person_key,
                subject,
                f"{subject}: в журнале группа «{j.group_name}», в реестре «{r.group_name}»",
                person_key,
                j.group_name,
                "group",
                j.side(j.group_name),
                r.side(r.group_name),
            )
        )
    if j.status and r.status and j.status != r.status:
        out.append(
            Finding(
                "enrolment.status_mismatch",
                person_key,
                subject,
                f"{subject}: в журнале «{STATUS_RU.get(j.status, j.status)}», "
                f"в реестре «{STATUS_RU.get(r.status, r.status)}»",
                person_key,
                group,
                "status",
                j.side(j.status),
                r.side(r.status),
            )
        )
    for name in PD_FIELDS:
        a, b = _norm(name, j.person.get(name)), _norm(name, r.person.get(name))
        if a != b:
            out.append(
                Finding(
                    "person.data_mismatch",
                    f"{person_key}:{name}",
                    subject,
                    f"{subject}: различается поле «{FIELD_RU[name]}»",
                    person_key,
                    group,
                    name,
                    j.side(a),
                    r.side(b),
                )
            )
    return _attach_order_causes(out, j, r, person_key, subject, group, causes, cause_members)


def _attach_order_causes(
    out: list[Finding],
    j: StudentView | None,
    r: StudentView | None,
    person_key: str,
    subject: str,
    group: str | None,
    causes: dict[str, RootCause],
    cause_members: dict[str, list[str]],
) -> list[Finding]:
    """Compare orders and make every missing order the root cause of what it explains."""
    j_orders = {(o.movement, o.number): o for o in (j.orders if j else [])}
    r_orders = {(o.movement, o.number): o for o in (r.orders if r else [])}
    order_findings: list[Finding] = []
    explains: dict[str, set[str]] = defaultdict(set)

    def cause_for(o: OrderView, missing_in: str) -> str:
        key = f"{missing_in}:{o.movement}:{o.number}:{o.order_date.isoformat()}"
        if key not in causes:
            where = "журнал" if missing_in == "journal" else "реестр контингента"
            causes[key] = RootCause(
                key,
                f"order_missing_{missing_in}",
                "П" + _order_label(o)[1:] + f" не внесён в {where}",
                {
                    "movement": o.movement,
                    "number": o.number,
                    "order_date": o.order_date.isoformat(),
                    "effective_date": o.effective_date.isoformat(),
                    "to_group": o.to_group,
                    "from_group": o.from_group,
                    "missing_in": missing_in,
                },
            )
        return key

    unmatched_r = dict(r_orders)
    unmatched_j = dict(j_orders)
    for k, jo in j_orders.items():
        ro = r_orders.get(k)
        if ro is None:
            continue
        unmatched_r.pop(k)
        unmatched_j.pop(k)
        if (jo.order_date, jo.effective_date) != (ro.order_date, ro.effective_date):
            assert j is not None and r is not None
            order_findings.append(
                Finding(
                    "movement.order_mismatch",
                    f"{person_key}:{jo.movement}:{jo.number}",
                    subject,
                    f"{subject}: {_order_label(jo)} в реестре датирован "
                    f"{_ru_date(ro.order_date)} (вступает в силу {_ru_date(ro.effective_date)})",
                    person_key,
                    group,
                    "order_date",
                    j.side(
                        {
                            "order_date": jo.order_date.isoformat(),
                            "effective_date": jo.effective_date.isoformat(),
                        }
                    ),
                    r.side(
                        {
                            "order_date": ro.order_date.isoformat(),
                            "effective_date": ro.effective_date.isoformat(),
                        }
                    ),
                )
            )
    # Same movement and effective date, different number: one order written two ways.
    for (mv, num), jo in list(unmatched_j.items()):
        for (rmv, rnum), ro in list(unmatched_r.items()):
            if mv == rmv and jo.effective_date == ro.effective_date and j and r:
                unmatched_j.pop((mv, num))
                unmatched_r.pop((rmv, rnum))
                order_findings.append(
                    Finding(
                        "movement.order_mismatch",
                        f"{person_key}:{mv}:{jo.effective_date.isoformat()}",
                        subject,
                        f"{subject}: {_order_label(jo)} в реестре записан как № {ro.number}",
                        person_key,
                        group,
                        "number",
                        j.side(jo.number),
                        r.side(ro.number),
                    )
                )
                break
    for side_name, missing, present_view in (
        ("journal", unmatched_r, r),
        ("registry", unmatched_j, j),
    ):
        for o in missing.values():
            assert present_view is not None
            key = cause_for(o, side_name)
            rule = f"movement.order_missing_{side_name}"
            where = "журнал" if side_name == "journal" else "реестр контингента"
            absent = Side(
                "journal" if side_name == "journal" else REGISTRY_PLATFORM, "", None, None
            )
            present = present_view.side(
                {"number": o.number, "order_date": o.order_date.isoformat(), "movement": o.movement}
            )
            order_findings.append(
                Finding(
                    rule,
                    f"{person_key}:{o.movement}:{o.number}",
                    subject,
                    f"{subject}: {_order_label(o)} не внесён в {where}",
                    person_key,
                    group,
                    "movement_order",
                    absent if side_name == "journal" else present,
                    present if side_name == "journal" else absent,
                    cause_key=key,
                )
            )
            explains[key] |= _explained_rules(o.movement, side_name)

    result: list[Finding] = []
    for f in out:
        cause = next((k for k, rules in explains.items() if f.rule in rules), None)
        if cause is not None:
            f = Finding(
                f.rule,
                f.key,
                f.subject,
                f.message,
                f.person_key,
                f.group_name,
                f.field,
                f.side_a,
                f.side_b,
                cause_key=cause,
            )
        result.append(f)
    result.extend(order_findings)
    for f in result:
        if f.cause_key:
            cause_members[f.cause_key].append(f.id)
    return result


def _explained_rules(movement: str, missing_in: str) -> set[str]:
    if movement == "transfer":
        return {"enrolment.group_mismatch"}
    if movement in _STATUS_MOVEMENTS:
        return {"enrolment.status_mismatch"}
    if movement == "enrolment":
        return {
            "person.missing_in_journal"
            if missing_in == "journal"
            else "person.missing_in_registry",
            "enrolment.group_mismatch",
        }
    return set()


def _identity_findings(identity: IdentityResult, data: ReconcileInput) -> list[Finding]:
    names = {
        ("person", p["platform"], p["deployment"], p["external_id"]): " ".join(
            x for x in (p["last_name"], p["first_name"], p["middle_name"]) if x
        )
        for p in data.persons
    }
    out = []
    for issue in identity.issues:
        refs = issue.refs
        subject = next((names[r] for r in refs if r in names), "запись без ФИО")
        rule = "identity.conflict" if issue.issue == "conflict" else "identity.ambiguous"
        sides = [Side(r[1], r[2], r[3], r[0]) for r in refs]
        places = ", ".join(f"{r[1]}:{r[3]}" for r in refs)
        key_ru = "СНИЛС" if issue.key == "snils" else "ФИО и дате рождения"
        message = (
            f"{subject}: по {key_ru} совпадают несколько записей ({places})"
            if rule == "identity.ambiguous"
            else f"{subject}: ФИО и дата рождения совпадают, СНИЛС различаются ({places})"
        )
        out.append(
            Finding(
                rule,
                "|".join(":".join(r) for r in refs),
                subject,
                message,
                side_a=sides[0],
                side_b=sides[1] if len(sides) > 1 else None,
            )
        )
    return out


def _feedback_findings(data: ReconcileInput) -> list[Finding]:
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for fb in data.feedback:
        key = (fb["platform"], fb["deployment"], fb["student_id"])
        stamp = fb["received_at"] or dt.datetime.min.replace(tzinfo=dt.UTC)
        old = latest.get(key)
        if old is None or stamp >= (old["received_at"] or dt.datetime.min.replace(tzinfo=dt.UTC)):
            latest[key] = fb
    by_id: dict[str, StudentView] = {}
    for student in data.students.values():
        # The registry's own record first: feedback refers to the ids it was sent.
        if student.platform == REGISTRY_PLATFORM or student.external_id not in by_id:
            by_id[student.external_id] = student
    out = []
    for fb in latest.values():
        if fb["result"] == "ACCEPTED":
            continue
        view = by_id.get(fb["student_id"])
        subject = view.full_name if view else f"запись {fb['student_id']}"
        reason = fb["message"] or fb["error_code"] or fb["result"]
        field_ru = f", поле «{fb['field']}»" if fb["field"] else ""
        out.append(
            Finding(
                "registry.rejected",
                f"{fb['student_id']}:{fb['message_id']}",
                subject,
                f"{subject}: реестр ответил {fb['result']}{field_ru}: {reason}",
                group_name=view.group_name if view else None,
                field=fb["field"],
                side_a=view.side(fb["student_id"]) if view else None,
                side_b=Side(
                    fb["platform"],
                    fb["deployment"],
                    fb["external_id"],
                    {"result": fb["result"], "code": fb["error_code"], "message": fb["message"]},
                ),
            )
        )
    return out


def _e_uslugi_findings(
    data: ReconcileInput, identity: IdentityResult, today: dt.date, settings: ReconcileSettings
) -> list[Finding]:
    out = []
    deadline_days = dt.timedelta(days=settings.e_uslugi_deadline_days)
    for x in data.expected:
        ref = ("expected_enrolment", x["platform"], x["deployment"], x["external_id"])
        res = identity.resolutions.get(ref)
        in_journal = res is not None and any(
            m in data.students and m[1] in JOURNAL_PLATFORMS for m in res.matched_with
        )
        if in_journal or x["expected_on"] is None or today <= x["expected_on"] + deadline_days:
            continue
        subject = " ".join(v for v in (x["last_name"], x["first_name"], x["middle_name"]) if v)
        out.append(
            Finding(
                "e_uslugi.not_in_journal",
                x["external_id"],
                subject,
                f"{subject}: зачислен(а) через «Е-услуги» с {_ru_date(x['expected_on'])}"
                f" в «{x['group_name'] or '—'}», в журнале нет "
                f"(срок {settings.e_uslugi_deadline_days} дн. истёк)",
                res.person_key if res else None,
                x["group_name"],
                side_a=Side("journal", "", None, None),
                side_b=Side(
                    x["platform"], x["deployment"], x["external_id"], x["expected_on"].isoformat()
                ),
            )
        )
    return out


EPGU_PARENT_FIELDS = {
    "last_name": "фамилия",
    "first_name": "имя",
    "sex": "пол",
    "birth_date": "дата рождения",
    "document": "паспорт (серия и номер)",
    "snils": "СНИЛС",
}


def _epgu_findings(data: ReconcileInput) -> list[Finding]:
    journal_people = [p for p in data.persons if p["platform"] in JOURNAL_PLATFORMS]
    by_snils: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_fio: dict[tuple[str, dt.date | None], list[dict[str, Any]]] = defaultdict(list)
    for p in journal_people:
        if "parent" not in (p["roles"] or []):
            continue
        if p["snils"]:
            with contextlib.suppress(SnilsError):
                by_snils[snils_digits(p["snils"])].append(p)
        by_fio[
            (
                name_key(p["last_name"] or "", p["first_name"] or "", p["middle_name"] or ""),
                p["birth_date"],
            )
        ].append(p)
        by_fio[
            (name_key(p["last_name"] or "", p["first_name"] or "", p["middle_name"] or ""), None)
        ].append(p)
    out = []
    for req in data.epgu:
        if req["status"] in ("answered", "refused"):
            continue
        applicant = " ".join(
            v
            for v in (
                req["applicant_last_name"],
                req["applicant_first_name"],
                req["applicant_middle_name"],
            )
            if v
        )
        candidates: list[dict[str, Any]] = []
        if req["applicant_snils"]:
            try:
                candidates = by_snils.get(snils_digits(req["applicant_snils"]), [])
            except SnilsError:
                candidates = []
        if not candidates:
            key = name_key(
                req["applicant_last_name"] or "",
                req["applicant_first_name"] or "",
                req["applicant_middle_name"] or "",
            )
            candidates = by_fio.get((key, req["applicant_birth_date"]), []) or by_fio.get(
                (key, None), []
            )
        req_side = Side(req["platform"], req["deployment"], req["external_id"], req["order_id"])
        if not candidates:
            out.append(
                Finding(
                    "epgu.parent_missing",
                    req["external_id"],
                    applicant,
                    f"Заявление ЕПГУ № {req['order_id']}: заявитель {applicant} не найден среди родителей в журнале",
                    side_a=Side("journal", "", None, None),
                    side_b=req_side,
                )
            )
            continue
        parent = candidates[0]
        missing = [
            label
            for name, label in EPGU_PARENT_FIELDS.items()
            if (
                not (parent["document_series"] and parent["document_number"])
                if name == "document"
                else not parent.get(name)
            )
        ]
        if missing:
            out.append(
                Finding(
                    "epgu.parent_incomplete",
                    req["external_id"],
                    applicant,
                    f"Заявление ЕПГУ № {req['order_id']}: в карточке родителя нет: "
                    + ", ".join(missing),
                    field=",".join(missing),
                    side_a=Side(
                        parent["platform"], parent["deployment"], parent["external_id"], missing
                    ),
                    side_b=req_side,
                )
            )
    return out


# --------------------------------------------------------------------------- running


def store_identity(
    conn: Connection, identity: IdentityResult, at: dt.datetime, run_id: int | None
) -> None:
    """Replace the stored resolutions with this run's (one statement each way)."""
    conn.execute(delete(identity_resolution))
    rows = [
        {
            "record_kind": ref[0],
            "platform": ref[1],
            "deployment": ref[2],
            "external_id": ref[3],
            "person_key": res.person_key,
            "match_key": res.match_key,
            "matched_with": [list(m) for m in res.matched_with],
            "resolved_at": at,
            "run_id": run_id,
        }
        for ref, res in identity.resolutions.items()
    ]
    if rows:
        conn.execute(insert(identity_resolution), rows)


def reconcile(
    engine: Engine,
    *,
    at: dt.datetime | None = None,
    today: dt.date | None = None,
    settings: ReconcileSettings | None = None,
) -> ReconcileResult:
    """Reconcile every source in the store and record the findings with their lifecycle.

    ``at`` defaults to the data's time (the newest observation), so a discrepancy is found and
    resolved when the data showed it, not when reconciliation happened to run."""
    at = at or data_time(engine) or dt.datetime.now(dt.UTC)
    today = today or at.date()
    run_id = start_run(engine, "reconcile", job="reconcile", observed_at=at)
    try:
        with engine.begin() as conn:
            data = load_input(conn)
            identity = resolve_identities(identity_facts(data))
            findings, causes = find_discrepancies(data, identity, today, settings)
            store_identity(conn, identity, at, run_id)
            stats = persist(conn, findings, causes, at, run_id)
    except Exception as exc:
        finish_run(engine, run_id, RunStatus.FAILED, error=type(exc).__name__)
        raise
    result = ReconcileResult(findings, causes, identity, stats, run_id)
    finish_run(
        engine,
        run_id,
        RunStatus.SUCCEEDED,
        counts={"discrepancies": result.by_rule(), "lifecycle": stats.as_dict()},
    )
    return result


def resolutions_of(engine: Engine, refs: Iterable[RefKey]) -> dict[RefKey, Mapping[str, Any]]:
    """Stored resolutions for the given records (which key matched, with whom)."""
    wanted = set(refs)
    with engine.connect() as conn:
        rows = conn.execute(select(identity_resolution)).mappings().all()
    return {
        (r["record_kind"], r["platform"], r["deployment"], r["external_id"]): dict(r)
        for r in rows
        if (r["record_kind"], r["platform"], r["deployment"], r["external_id"]) in wanted
    }
