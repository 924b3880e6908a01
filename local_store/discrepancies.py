"""Discrepancies as records: the rule catalogue, stable ids and the lifecycle.

A reconciliation produces *findings*; this module turns them into rows that
keep their identity across runs.  The id is a digest of the rule and of what
the finding is about, so the same difference found again is the same row:
its ``last_seen_at`` moves, an acknowledged one stays acknowledged, a resolved
one is reopened.  A row not found again is resolved (never deleted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from local_store.reconcile_schema import discrepancy, root_cause


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


STATUS_RU = {
    Status.OPEN: "открыто",
    Status.ACKNOWLEDGED: "принято в работу",
    Status.RESOLVED: "устранено",
}


@dataclass(frozen=True)
class DiscrepancyRule:
    """What a kind of discrepancy means for the people who fix it (Russian texts)."""

    rule_id: str
    title: str
    who: str
    how_to_fix: str
    policy_rule: str
    """The policy-catalog rule whose clause the difference breaks."""


_CONTINGENT_OFFICER = "ответственный за ведение контингента (секретарь учебной части)"
_CLASS_TEACHER = "классный руководитель / куратор группы"

RULES: dict[str, DiscrepancyRule] = {
    r.rule_id: r
    for r in (
        DiscrepancyRule(
            "person.missing_in_registry",
            "Обучающийся есть в журнале, но отсутствует в реестре контингента",
            _CONTINGENT_OFFICER,
            "Передать сведения о зачислении в АИС «Учёт контингента» или проверить, "
            "не внесён ли обучающийся в журнал ошибочно.",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "person.missing_in_journal",
            "Обучающийся числится в реестре контингента, но отсутствует в журнале",
            _CLASS_TEACHER,
            "Внести обучающегося в электронный журнал по приказу о зачислении "
            "или передать в реестр приказ об отчислении.",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "identity.ambiguous",
            "Неоднозначное сопоставление личности: один ключ указывает на несколько записей",
            _CONTINGENT_OFFICER,
            "Проверить записи по документам, устранить дубликат или исправить СНИЛС.",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "identity.conflict",
            "Конфликт личности: совпадают ФИО и дата рождения, но различаются СНИЛС",
            _CONTINGENT_OFFICER,
            "Сверить СНИЛС с документом (страховое свидетельство) и исправить ошибочную запись.",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "enrolment.group_mismatch",
            "Разные группы (классы) в журнале и в реестре контингента",
            _CLASS_TEACHER,
            "Проверить приказ о переводе и внести перевод в журнал (или в реестр).",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "enrolment.status_mismatch",
            "Разный статус обучения в журнале и в реестре (отчислен, академический отпуск…)",
            _CLASS_TEACHER,
            "Внести приказ об отчислении / академическом отпуске / выходе из отпуска "
            "в ту систему, где его нет.",
            "contingent.movement.deadline",
        ),
        DiscrepancyRule(
            "movement.order_missing_journal",
            "Приказ о движении есть в реестре контингента, но не внесён в журнал",
            _CLASS_TEACHER,
            "Внести приказ (номер, дату, дату вступления в силу) в электронный журнал.",
            "contingent.movement.deadline",
        ),
        DiscrepancyRule(
            "movement.order_missing_registry",
            "Приказ о движении внесён в журнал, но не передан в реестр контингента",
            _CONTINGENT_OFFICER,
            "Передать приказ в АИС «Учёт контингента».",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "movement.order_mismatch",
            "Приказ о движении записан по-разному (дата или номер) в журнале и в реестре",
            _CONTINGENT_OFFICER,
            "Сверить с подлинником приказа и исправить ошибочную запись.",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "person.data_mismatch",
            "Персональные данные различаются в журнале и в реестре контингента",
            _CONTINGENT_OFFICER,
            "Сверить с документом, удостоверяющим личность, и исправить ошибочное поле.",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "registry.rejected",
            "Реестр контингента отклонил переданные сведения",
            _CONTINGENT_OFFICER,
            "Исправить запись по причине отказа и передать сведения повторно.",
            "contingent.registry.match",
        ),
        DiscrepancyRule(
            "e_uslugi.not_in_journal",
            "Зачисленный через «Е-услуги. Образование» не внесён в журнал в срок",
            _CLASS_TEACHER,
            "Внести обучающегося в журнал по приказу о зачислении.",
            "contingent.movement.deadline",
        ),
        DiscrepancyRule(
            "epgu.parent_incomplete",
            "В карточке родителя не хватает сведений для ответа на заявление ЕПГУ",
            _CLASS_TEACHER,
            "Дополнить карточку родителя: ФИО, пол, дата рождения, паспорт, СНИЛС.",
            "epgu.parent.required_fields",
        ),
        DiscrepancyRule(
            "epgu.parent_missing",
            "Заявитель с ЕПГУ не найден среди родителей обучающегося в журнале",
            _CLASS_TEACHER,
            "Внести родителя (законного представителя) и связать его с обучающимся.",
            "epgu.parent.required_fields",
        ),
    )
}

CLAUSES: dict[str, dict[str, str]] = {
    "contingent.registry.match": {"talmenka": "3", "usolye": "4.6", "tpt": "4.8"},
    "contingent.movement.deadline": {
        "kpgt": "4.2",
        "mazanka": "3.6.1",
        "usolye": "4.6",
        "tpt": "4.8",
    },
    "epgu.parent.required_fields": {"talmenka": "1.6"},
}
"""Regulation clause per policy rule and profile (policy-catalog.md §5–§6)."""


def clause_for(rule_id: str, profile: str | None) -> str:
    """«п. 4.8 положения» for the profile, or the policy rule id when the profile has none."""
    rule = RULES.get(rule_id)
    if rule is None:
        return ""
    clause = CLAUSES.get(rule.policy_rule, {}).get(profile or "")
    return f"п. {clause} положения об ЭЖ" if clause else f"правило {rule.policy_rule}"


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Side:
    """One side of a difference: where the value came from and what it was."""

    platform: str
    deployment: str
    external_id: str | None
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "deployment": self.deployment,
            "external_id": self.external_id,
            "value": self.value,
        }


@dataclass(frozen=True)
class Finding:
    rule: str
    key: str
    """What the finding is about within its rule: with the rule, it makes the stable id."""
    subject: str
    message: str
    person_key: str | None = None
    group_name: str | None = None
    field: str | None = None
    side_a: Side | None = None
    side_b: Side | None = None
    cause_key: str | None = None

    @property
    def id(self) -> str:
        return "D" + _digest(self.rule, self.key)


@dataclass(frozen=True)
class RootCause:
    key: str
    cause_kind: str
    title: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "C" + _digest(self.cause_kind, self.key)


@dataclass
class PersistStats:
    opened: int = 0
    reopened: int = 0
    still_open: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "opened": self.opened,
            "reopened": self.reopened,
            "still_open": self.still_open,
            "resolved": self.resolved,
        }


def persist(
    conn: Connection,
    findings: Sequence[Finding],
    causes: Sequence[RootCause],
    at: dt.datetime,
    run_id: int | None,
) -> PersistStats:
    """Write this reconciliation's findings with their lifecycle (inside the caller's transaction)."""
    _persist_causes(conn, causes, at)
    cause_ids = {c.key: c.id for c in causes}
    found = {f.id: f for f in findings}
    existing = {
        row.id: row.status for row in conn.execute(select(discrepancy.c.id, discrepancy.c.status))
    }
    stats = PersistStats()
    new_rows: list[dict[str, Any]] = []
    seen_rows: list[dict[str, Any]] = []
    for fid, f in found.items():
        values = {
            "rule": f.rule,
            "person_key": f.person_key,
            "subject": f.subject,
            "group_name": f.group_name,
            "field": f.field,
            "side_a": f.side_a.as_dict() if f.side_a else None,
            "side_b": f.side_b.as_dict() if f.side_b else None,
            "message": f.message,
            "root_cause_id": cause_ids.get(f.cause_key) if f.cause_key else None,
            "last_seen_at": at,
            "last_run_id": run_id,
        }
        status = existing.get(fid)
        if status is None:
            stats.opened += 1
            new_rows.append(
                {
                    "id": fid,
                    **values,
                    "status": Status.OPEN.value,
                    "first_seen_at": at,
                    "first_run_id": run_id,
                }
            )
            continue
        if status == Status.RESOLVED.value:
            stats.reopened += 1
            values["status"] = Status.OPEN.value
            values["resolved_at"] = None
        else:
            stats.still_open += 1
            values["status"] = status
            values["resolved_at"] = None
        seen_rows.append({"b_id": fid, **values})
    if new_rows:
        conn.execute(insert(discrepancy), new_rows)
    if seen_rows:
        conn.execute(
            update(discrepancy)
            .where(discrepancy.c.id == bindparam("b_id"))
            .values({k: bindparam(k) for k in seen_rows[0] if k != "b_id"}),
            seen_rows,
        )
    gone = [
        {"b_id": fid}
        for fid, status in existing.items()
        if fid not in found and status != Status.RESOLVED.value
    ]
    stats.resolved = len(gone)
    if gone:
        conn.execute(
            update(discrepancy)
            .where(discrepancy.c.id == bindparam("b_id"))
            .values(status=Status.RESOLVED.value, resolved_at=at, last_run_id=run_id),
            gone,
        )
    return stats


def _persist_causes(conn: Connection, causes: Sequence[RootCause], at: dt.datetime) -> None:
    existing = {
        row.id: row.status for row in conn.execute(select(root_cause.c.id, root_cause.c.status))
    }
    found = {c.id: c for c in causes}
    new_rows = [
        {
            "id": cid,
            "cause_kind": c.cause_kind,
            "title": c.title,
            "details": dict(c.details),
            "status": Status.OPEN.value,
            "first_seen_at": at,
            "last_seen_at": at,
            "resolved_at": None,
        }
        for cid, c in found.items()
        if cid not in existing
    ]
    if new_rows:
        conn.execute(insert(root_cause), new_rows)
    seen = [
        {"b_id": cid, "title": c.title, "details": dict(c.details)}
        for cid, c in found.items()
        if cid in existing
    ]
    if seen:
        conn.execute(
            update(root_cause)
            .where(root_cause.c.id == bindparam("b_id"))
            .values(
                title=bindparam("title"),
                details=bindparam("details"),
                status=Status.OPEN.value,
                last_seen_at=at,
                resolved_at=None,
            ),
            seen,
        )
    gone = [
        {"b_id": cid}
        for cid, status in existing.items()
        if cid not in found and status != Status.RESOLVED.value
    ]
    if gone:
        conn.execute(
            update(root_cause)
            .where(root_cause.c.id == bindparam("b_id"))
            .values(status=Status.RESOLVED.value, resolved_at=at),
            gone,
        )


class DiscrepancyError(ValueError):
    """A lifecycle change that cannot be made (unknown id, resolved item…)."""


def acknowledge(engine: Engine, discrepancy_id: str, note: str | None = None) -> None:
    """Mark an open discrepancy as taken into work; it stays until reconciliation no longer finds it."""
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        row = conn.execute(
            select(discrepancy.c.status).where(discrepancy.c.id == discrepancy_id)
        ).first()
        if row is None:
            raise DiscrepancyError(f"расхождение {discrepancy_id} не найдено")
        if row.status == Status.RESOLVED.value:
            raise DiscrepancyError(f"расхождение {discrepancy_id} уже устранено")
        conn.execute(
            update(discrepancy)
            .where(discrepancy.c.id == discrepancy_id)
            .values(status=Status.ACKNOWLEDGED.value, acknowledged_at=now, note=note)
        )


@dataclass(frozen=True)
class DiscrepancyRow:
    id: str
    rule: str
    person_key: str | None
    subject: str
    group_name: str | None
    field: str | None
    side_a: Mapping[str, Any] | None
    side_b: Mapping[str, Any] | None
    message: str
    root_cause_id: str | None
    root_cause_title: str | None
    status: Status
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    resolved_at: dt.datetime | None
    note: str | None


def list_discrepancies(
    engine: Engine, statuses: Iterable[Status] | None = None
) -> list[DiscrepancyRow]:
    """Discrepancies with their root cause's title, oldest first."""
    query = (
        select(discrepancy, root_cause.c.title.label("cause_title"))
        .select_from(
            discrepancy.outerjoin(root_cause, root_cause.c.id == discrepancy.c.root_cause_id)
        )
        .order_by(discrepancy.c.first_seen_at, discrepancy.c.id)
    )
    if statuses is not None:
        query = query.where(discrepancy.c.status.in_([s.value for s in statuses]))
    with engine.connect() as conn:
        return [
            DiscrepancyRow(
                id=r["id"],
                rule=r["rule"],
                person_key=r["person_key"],
                subject=r["subject"],
                group_name=r["group_name"],
                field=r["field"],
                side_a=r["side_a"],
                side_b=r["side_b"],
                message=r["message"],
                root_cause_id=r["root_cause_id"],
                root_cause_title=r["cause_title"],
                status=Status(r["status"]),
                first_seen_at=r["first_seen_at"],
                last_seen_at=r["last_seen_at"],
                resolved_at=r["resolved_at"],
                note=r["note"],
            )
            for r in conn.execute(query).mappings()
        ]
