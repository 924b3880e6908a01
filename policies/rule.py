"""What a rule is: an id, the clauses it enforces, typed parameters and an evaluation.

A rule is one small class in its family's module under ``policies/rules/``,
registered by :func:`register`; the engine finds it by id and the profile
supplies its parameters.  Adding a rule touches only ``policies/`` and the
profiles.  Evaluation receives a :class:`Context` (connection, calendar,
incremental window) and returns findings: SQL selects the offending rows,
Python only shapes the few rows that come back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Select, Table, false, insert, literal, or_, select, union

from local_store.schema import version_table
from local_store.violations import Figure, Finding
from local_store.violations_schema import policy_due_day
from policies.calendar import WorkCalendar
from policies.deadlines import DeadlineSpec, due
from policies.evidence import from_epoch, to_epoch
from policies.profiles import Profile, RuleSetting


class RuleParams(BaseModel):
    """Parameters every rule has; each rule extends it with its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    severity: str = "medium"


P = TypeVar("P", bound=RuleParams)


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    touched: Select[Any] | None = None
    """Entity keys the evaluation looked at (``None``: all of them)."""


class Rule(ABC, Generic[P]):
    """Base of every rule unit."""

    id: ClassVar[str]
    title: ClassVar[str]
    """Russian: how reports name the requirement."""
    entity_kind: ClassVar[str]
    responsible_role: ClassVar[str] = "teacher"
    params_model: ClassVar[type[RuleParams]] = RuleParams
    clauses: ClassVar[Mapping[str, str]] = MappingProxyType({})
    """Profile id → clause numbers, as in policy-catalog.md."""
    monitoring: ClassVar[bool] = False

    def params(self, setting: RuleSetting) -> P:
        model: Any = self.params_model
        result: P = model.model_validate(dict(setting.params))
        return result

    @abstractmethod
    def evaluate(self, ctx: Context, params: P) -> Outcome:
        """The findings (and figures) of this rule over the store, as of ``ctx``."""


def clause_map(clauses: dict[str, str]) -> Mapping[str, str]:
    """Profile id → clause numbers, read-only."""
    return MappingProxyType(dict(clauses))


RULES: dict[str, Rule[Any]] = {}


def register(cls: type[Rule[Any]]) -> type[Rule[Any]]:
    if cls.id in RULES:
        raise ValueError(f"rule {cls.id} registered twice")
    RULES[cls.id] = cls()
    return cls


@dataclass
class Context:
    """Everything an evaluation needs; built once per check."""

    conn: Connection
    profile: Profile
    calendar: WorkCalendar
    since_run_id: int | None
    """Only entities a run newer than this touched (``None``: a full check)."""
    upto_run_id: int
    data_as_of: dt.datetime
    first_day: dt.date
    last_day: dt.date
    rule_id: str = ""
    setting: RuleSetting | None = None
    _due_tables: dict[str, str] = field(default_factory=dict)

    # -- tables -------------------------------------------------------------

    def version(self, kind: str, name: str | None = None) -> Any:
        table: Table = version_table(kind)
        return table.alias(name or kind)

    @property
    def full(self) -> bool:
        return self.since_run_id is None

    def touched_entities(self, kind: str) -> Select[Any]:
        """Entity ids of ``kind`` with any version a newer run saw, changed or removed."""
        return self._touched(kind, "entity_id")

    def touched_keys(self, kind: str) -> Select[Any] | None:
        if self.full:
            return None
        return self._touched(kind, "external_id")

    def _touched(self, kind: str, column: str) -> Select[Any]:
        """``column`` of the versions a run newer than the last check first saw, saw again or
        superseded: a union of three range lookups, each on its own index (migration 0013),
        where one OR would make the database scan the whole table."""
        table = version_table(kind)
        since = self.since_run_id or 0
        touched = union(
            select(table.c[column]).where(table.c.first_seen_run_id > since),
            select(table.c[column]).where(table.c.last_seen_run_id > since),
            select(table.c[column]).where(table.c.superseded_run_id > since),
        ).subquery()
        return select(touched.c[0])

    def touched_keys_of(self, *kinds: str) -> Select[Any] | None:
        """Entity keys any of ``kinds`` had touched (``None`` on a full check)."""
        selects = [self.touched_keys(kind) for kind in kinds]
        if self.full:
            return None
        keys = selects[0].union(*[s for s in selects[1:] if s is not None])  # type: ignore[union-attr]
        return select(keys.subquery().c[0])

    def changed_since(self, *kinds: str) -> bool:
        """Whether a run newer than the last check added, changed or removed a record of
        ``kinds`` (always on a full check).  Seeing the same record again changes nothing."""
        if self.full:
            return True
        since = self.since_run_id or 0
        for kind in kinds:
            table = version_table(kind)
            changed = select(table.c.id).where(
                or_(table.c.first_seen_run_id > since, table.c.superseded_run_id > since)
            )
            if self.conn.execute(changed.limit(1)).first() is not None:
                return True
        return False

    @staticmethod
    def nothing_touched() -> Select[Any]:
        """No entity keys: the findings of an evaluation that was not needed all stand."""
        return select(literal("")).where(false())

    def only_touched(self, query: Select[Any], alias: Any, kind: str) -> Select[Any]:
        if self.full:
            return query
        return query.where(alias.c.entity_id.in_(self.touched_entities(kind)))

    # -- time -----------------------------------------------------------------

    @property
    def now_epoch(self) -> int:
        return to_epoch(self.data_as_of)

    def due_table(self, spec: DeadlineSpec, name: str = "due") -> Any:
        """``(day, due, midnight)`` for every day of the window: ``due`` is the epoch of the
        deadline for entries about ``day``; ``midnight`` the epoch of the day's local start."""
        return self._tabulate(
            ("spec", spec.model_dump_json()),
            lambda day: due(self.calendar, day, spec),
            name,
        )

    def day_function_table(
        self, name: str, key: str, fn: Callable[[dt.date], dt.datetime | None]
    ) -> Any:
        """``(day, due, midnight)`` for a deadline no :class:`DeadlineSpec` expresses."""
        return self._tabulate(("fn", key), fn, name)

    def _tabulate(
        self, key: tuple[str, str], fn: Callable[[dt.date], dt.datetime | None], name: str
    ) -> Any:
        cal = self.calendar
        ident = json.dumps(
            [
                key,
                cal.timezone,
                cal.week_days,
                sorted((d.isoformat(), v) for d, v in cal.overrides.items()),
                sorted((v.starts_on.isoformat(), v.ends_on.isoformat()) for v in cal.vacations),
                self.first_day.isoformat(),
                self.last_day.isoformat(),
            ]
        )
        calendar_key = hashlib.sha256(ident.encode()).hexdigest()[:40]
        if calendar_key not in self._due_tables:
            exists = self.conn.execute(
                select(policy_due_day.c.day)
                .where(policy_due_day.c.calendar_key == calendar_key)
                .limit(1)
            ).first()
            if exists is None:
                rows: list[dict[str, Any]] = []
                day = self.first_day
                while day <= self.last_day:
                    moment = fn(day)
                    if moment is not None:
                        rows.append(
                            {
                                "calendar_key": calendar_key,
                                "day": day,
                                "due": to_epoch(moment),
                                "midnight": to_epoch(cal.at(day, dt.time(0, 0))),
                            }
                        )
                    day += dt.timedelta(days=1)
                if rows:
                    self.conn.execute(insert(policy_due_day), rows)
            self._due_tables[calendar_key] = calendar_key
        return (
            select(policy_due_day.c.day, policy_due_day.c.due, policy_due_day.c.midnight)
            .where(policy_due_day.c.calendar_key == calendar_key)
            .subquery(name)
        )

    def outage_shifts(self, always: bool = False) -> list[tuple[int, int, int]]:
        """Journal outages as (start, end, moved deadline) epochs: lessons that began while the
        journal was down are due by the end of the N-th working day after it works again
        (N from ``marks.after_outage.deadline``; no shift when the profile lacks the rule)."""
        setting = self.profile.setting("marks.after_outage.deadline")
        if not setting.enabled and not always:
            return []
        params = dict(setting.params)
        days = int(params.get("working_days", 1))
        at = params.get("at")
        table = version_table("journal_outage")
        out = []
        for start, end in self.conn.execute(
            select(table.c.f_starts_at, table.c.f_ends_at).where(
                table.c.superseded_run_id.is_(None)
            )
        ):
            if start is None or end is None:
                continue
            back_on = self.calendar.local_date(end)
            due_day = self.calendar.add_working_days(back_on, days)
            moved = (
                self.calendar.at(due_day, dt.time.fromisoformat(str(at)))
                if at
                else self.calendar.end_of_day(due_day)
            )
            out.append((to_epoch(start), to_epoch(end), to_epoch(moved)))
        return out

    # -- findings -------------------------------------------------------------

    def finding(
        self,
        rule: Rule[Any],
        *,
        entity_key: str,
        verdict: str,
        params: RuleParams,
        message: str,
        entity_kind: str | None = None,
        deployment: str = "",
        period_key: str = "",
        deadline: int | dt.datetime | None = None,
        person: str | None = None,
        group: str | None = None,
        role: str | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> Finding:
        setting = self.profile.setting(rule.id)
        clause = setting.reference
        if setting.text:
            clause = f"{clause}: «{setting.text}»" if clause else setting.text
        moment = from_epoch(deadline) if isinstance(deadline, int) else deadline
        return Finding(
            rule_id=rule.id,
            entity_kind=entity_kind or rule.entity_kind,
            entity_key=entity_key,
            verdict=verdict,
            deployment=deployment,
            period_key=period_key,
            severity=params.severity,
            responsible_role=role or setting.responsible or rule.responsible_role,
            responsible_person=person,
            group_key=group,
            clause=clause,
            message=message,
            deadline=moment,
            evidence=evidence or {},
        )


def iso(value: int | dt.datetime | None) -> str | None:
    """Evidence moments as ISO strings (UTC)."""
    if value is None:
        return None
    if isinstance(value, int):
        moment = from_epoch(value)
        assert moment is not None
        return moment.isoformat()
    return value.astimezone(dt.UTC).isoformat()


def run_evidence(
    t: int | None,
    t0: int | None,
    source: Any = None,
    *,
    moment: Callable[[Any], str | None] = iso,
) -> dict[str, Any]:
    """The §8 evidence of an entry: the two sync moments, or the source timestamp
    (``moment`` formats them: :func:`iso`, or a memo of it over many rows)."""
    out: dict[str, Any] = {"seen_at": moment(t), "prev_seen_at": moment(t0)}
    if source is not None:
        out["source_entered_at"] = moment(source) if not isinstance(source, str) else source
    return out


def all_rules() -> Iterable[Rule[Any]]:
    import policies.rules  # noqa: F401 - registers every rule

    return [RULES[k] for k in sorted(RULES)]


def get_rule(rule_id: str) -> Rule[Any]:
    import policies.rules  # noqa: F401

    return RULES[rule_id]
