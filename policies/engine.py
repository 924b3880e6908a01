"""Running a check: every enabled rule of a profile over the store, incrementally.

A check looks only at what runs newer than the previous check touched (the
store's run ids grow with time), unless ``full``.  All writes of a check
(the findings of every rule, resolutions, figures) happen in one transaction.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from canonical.base import Platform
from local_store.runs import RunStatus
from local_store.schema import sync_run, version_table
from local_store.violations import (
    RecordCounts,
    approve_matching,
    finish_check,
    last_checked_run,
    record_figures,
    record_findings,
    start_check,
)
from policies.calendar import Vacation, WorkCalendar
from policies.profiles import Profile
from policies.rule import Context, all_rules, get_rule


class CheckError(ValueError):
    """A check that cannot run as asked; the message is Russian."""


@dataclass
class RuleReport:
    rule_id: str
    findings: int
    figures: int
    counts: RecordCounts
    seconds: float


@dataclass
class CheckReport:
    check_id: int
    profile_id: str
    full: bool
    since_run_id: int | None
    upto_run_id: int | None
    data_as_of: dt.datetime | None
    rules: list[RuleReport] = field(default_factory=list)
    seconds: float = 0.0
    unchecked: dict[str, str] = field(default_factory=dict)
    """Rules left out because the platform cannot carry their facts → the Russian reason."""

    def totals(self) -> dict[str, int]:
        out = {"opened": 0, "changed": 0, "reopened": 0, "unchanged": 0, "resolved": 0}
        for r in self.rules:
            for k, v in r.counts.as_dict().items():
                out[k] += v
        return out


def build_calendar(conn: Connection, profile: Profile) -> WorkCalendar:
    """The profile's calendar with the store's school vacations and institution time zone."""
    holiday = version_table("holiday")
    vacations = tuple(
        Vacation(start, end)
        for start, end in conn.execute(
            select(holiday.c.f_starts_on, holiday.c.f_ends_on).where(
                holiday.c.superseded_run_id.is_(None)
            )
        )
        if start is not None and end is not None
    )
    return WorkCalendar(
        timezone=profile.timezone,
        week_days=profile.week_days,
        overrides=dict(profile.overrides),
        vacations=vacations,
    )


def _window(conn: Connection, as_of: dt.datetime) -> tuple[dt.date, dt.date]:
    year = version_table("school_year")
    first = conn.execute(select(func.min(year.c.f_starts_on))).scalar()
    start = as_of.date() - dt.timedelta(days=400)
    if isinstance(first, dt.date):
        start = min(start, first - dt.timedelta(days=40))
    return start, as_of.date() + dt.timedelta(days=60)


def run_check(
    engine: Engine,
    profile: Profile,
    *,
    rules: Sequence[str] | None = None,
    full: bool = False,
) -> CheckReport:
    """Evaluate ``rules`` (default: every rule the profile turns on) and record the result."""
    started = time.perf_counter()
    if rules:
        unknown = [r for r in rules if r not in {x.id for x in all_rules()}]
        if unknown:
            raise CheckError(f"неизвестное правило: {', '.join(unknown)}")
        selected = list(rules)
    else:
        selected = profile.enabled_rules()
    # a rule whose facts the platform never transmits is not checked: no silent zero
    unchecked = {r: why for r, why in profile.unchecked_rules().items() if r in selected}
    selected = [r for r in selected if r not in unchecked]
    with engine.begin() as conn:
        upto = conn.execute(select(func.max(sync_run.c.id))).scalar()
        if upto is None:
            raise CheckError("в хранилище нет ни одной синхронизации: проверять нечего")
        # the data's time: the newest observation a successful sync made (a failed run may
        # carry no server time and so the wall clock; it showed nothing)
        as_of = conn.execute(
            select(func.max(sync_run.c.observed_at)).where(
                sync_run.c.id <= upto, sync_run.c.status == RunStatus.SUCCEEDED.value
            )
        ).scalar_one()
        if as_of is None:
            raise CheckError("в хранилище нет ни одной успешной синхронизации: проверять нечего")
        since = None if full else last_checked_run(conn, profile.id, rules)
        check_id = start_check(
            conn,
            profile.id,
            full=since is None,
            rules=rules,
            since_run_id=since,
            upto_run_id=upto,
            data_as_of=as_of,
        )
        calendar = build_calendar(conn, profile)
        first_day, last_day = _window(conn, as_of)
        report = CheckReport(
            check_id, profile.id, since is None, since, upto, as_of, unchecked=unchecked
        )
        for rule_id in selected:
            rule = get_rule(rule_id)
            t0 = time.perf_counter()
            ctx = Context(
                conn=conn,
                profile=profile,
                calendar=calendar,
                since_run_id=since,
                upto_run_id=int(upto),
                data_as_of=as_of,
                first_day=first_day,
                last_day=last_day,
                rule_id=rule_id,
                setting=profile.setting(rule_id),
            )
            params = rule.params(profile.setting(rule_id))
            outcome = rule.evaluate(ctx, params)
            counts = record_findings(
                conn,
                check_id,
                profile.id,
                rule_id,
                outcome.findings,
                touched=outcome.touched,
                data_as_of=as_of,
            )
            if outcome.figures or (rule.monitoring and outcome.touched is not None):
                record_figures(
                    conn, check_id, profile.id, rule_id, outcome.figures, outcome.touched
                )
            report.rules.append(
                RuleReport(
                    rule_id,
                    len(outcome.findings),
                    len(outcome.figures),
                    counts,
                    time.perf_counter() - t0,
                )
            )
        _apply_approval_records(conn)
        report.seconds = time.perf_counter() - started
        finish_check(
            conn,
            check_id,
            {
                "totals": report.totals(),
                "rules": {r.rule_id: r.counts.as_dict() for r in report.rules},
                "seconds": round(report.seconds, 3),
                "unchecked": unchecked,
            },
        )
    return report


def _apply_approval_records(conn: Connection) -> None:
    """Approvals the platform or the institution's files hold turn matching violations into
    approved exceptions (a handful of records, not a scan of the journal)."""
    approval = version_table("approval")
    for row in conn.execute(
        select(approval).where(
            approval.c.superseded_run_id.is_(None),
            approval.c.platform.in_([p.value for p in Platform]),
        )
    ).mappings():
        approve_matching(
            conn,
            row["f_rule_id"],
            row["f_entity_id"],
            document_number=row["f_document_number"],
            document_date=row["f_document_date"],
            approved_by=row["f_approved_by"],
        )


def rule_catalog() -> list[dict[str, Any]]:
    """Every rule with its clauses per profile (for ``sverka check --list`` and docs)."""
    return [
        {
            "id": r.id,
            "title": r.title,
            "entity_kind": r.entity_kind,
            "clauses": dict(r.clauses),
            "monitoring": r.monitoring,
        }
        for r in all_rules()
    ]
