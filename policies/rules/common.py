"""Building blocks the rule families share: first versions, deadlines, entry verdicts.

The one pattern most rules follow ("an entry about day X must exist by D") is
:func:`entry_verdicts`: it selects, set-based, every entry whose §8 verdict is
not *met*, with its evidence columns; the rule only names the table, the day
and the deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
)

from canonical.wording import ru_date, ru_moment
from local_store.schema import entity, sync_run, version_table
from policies.deadlines import DeadlineSpec
from policies.evidence import Verdict, join_run_times, verdict_sql
from policies.rule import Context, Rule, RuleParams, iso, run_evidence
from policies.sqlfunc import epoch, time_seconds


def current(alias: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = alias.c.superseded_run_id.is_(None)
    return condition


def ref(target: Any, source: Any, column: str) -> ColumnElement[bool]:
    """``target`` is the current version referenced by ``source.<column>`` (same deployment)."""
    return and_(
        target.c.external_id == source.c[column],
        target.c.platform == source.c.platform,
        target.c.deployment == source.c.deployment,
        target.c.superseded_run_id.is_(None),
    )


def same(left: Any, right: Any, *columns: str) -> ColumnElement[bool]:
    """``left.c.<c> == right.c.<c>`` for every column named."""
    return and_(*(left.c[c] == right.c[c] for c in columns))


def last_lesson_end(ctx: Context) -> Any:
    """Per group and day, the end of the last lesson (seconds after local midnight)."""
    lesson = ctx.version("lesson", "last_lesson_src")
    return (
        select(
            lesson.c.deployment.label("deployment"),
            lesson.c.f_group_id.label("group_id"),
            lesson.c.f_date.label("day"),
            func.max(time_seconds(lesson.c.f_ends_at)).label("end_s"),
        )
        .where(current(lesson), lesson.c.f_ends_at.is_not(None))
        .group_by(lesson.c.deployment, lesson.c.f_group_id, lesson.c.f_date)
        .subquery("last_lesson")
    )


def with_deadline(
    ctx: Context,
    query: Select[Any],
    spec: DeadlineSpec,
    day: ColumnElement[Any],
    *,
    group: ColumnElement[Any] | None = None,
    deployment: ColumnElement[Any] | None = None,
    name: str = "due",
    lesson_start: ColumnElement[Any] | None = None,
) -> tuple[Select[Any], ColumnElement[Any]]:
    """Join the deadline of entries about ``day``; return the query and the deadline (epoch).

    With ``lesson_start`` (the lesson's start time of day), a lesson that began
    while the journal was down has the outage deadline instead (the next working
    days after the journal works again, ``marks.after_outage.deadline``).
    """
    table = ctx.due_table(spec, name)
    query = query.join(table, table.c.day == day)
    query, deadline = _last_lesson_deadline(ctx, query, spec, table, day, group, deployment)
    if lesson_start is not None:
        deadline = outage_deadline(ctx, table.c.midnight + time_seconds(lesson_start), deadline)
    return query, deadline


def outage_deadline(ctx: Context, start: ColumnElement[Any], deadline: Any) -> Any:
    shifts = ctx.outage_shifts()
    if not shifts:
        return deadline
    return case(
        *[(and_(start >= s, start <= e), literal(moved)) for s, e, moved in shifts],
        else_=deadline,
    )


def in_outage(ctx: Context, start: ColumnElement[Any]) -> Any:
    shifts = ctx.outage_shifts(always=True)
    if not shifts:
        return literal(False)
    return or_(*[and_(start >= s, start <= e) for s, e, _ in shifts])


def _last_lesson_deadline(
    ctx: Context,
    query: Select[Any],
    spec: DeadlineSpec,
    table: Any,
    day: ColumnElement[Any],
    group: ColumnElement[Any] | None,
    deployment: ColumnElement[Any] | None,
) -> tuple[Select[Any], ColumnElement[Any]]:
    if spec.after_last_lesson_hours is None or group is None:
        return query, table.c.due
    last = last_lesson_end(ctx)
    conditions = [last.c.group_id == group, last.c.day == day]
    if deployment is not None:
        conditions.append(last.c.deployment == deployment)
    query = query.outerjoin(last, and_(*conditions))
    offset = int(spec.after_last_lesson_hours * 3600)
    after = table.c.midnight + last.c.end_s + offset
    # The hours after the last lesson never reach past the day's own limit.
    deadline = case(
        (and_(last.c.end_s.is_not(None), after < table.c.due), after),
        else_=table.c.due,
    )
    return query, deadline


@dataclass(frozen=True)
class EntryRow:
    key: str
    deployment: str
    verdict: str
    deadline: int
    seen: int | None
    prev_seen: int | None
    source: Any
    person: str | None
    group: str | None
    day: Any
    extra: dict[str, Any]


def entry_verdicts(
    ctx: Context,
    *,
    kind: str,
    spec: DeadlineSpec | None,
    day: Any,
    condition: Any = None,
    joins: Any = None,
    where: Any = None,
    group: Any = None,
    person: Any = None,
    source_field: str | None = "entered_at",
    extra: dict[str, Any] | None = None,
    deadline_override: Any = None,
    lesson_start: Any = None,
) -> list[EntryRow]:
    """Every entry of ``kind`` (its first version satisfying ``condition``) not made by its deadline.

    ``day``, ``group``, ``person``, ``where`` and ``extra`` are callables of the
    entry alias (and of the joined aliases ``joins`` returns) giving SQL expressions.
    """
    table = version_table(kind)
    inner = select(func.min(table.c.id)).group_by(table.c.entity_id)
    if condition is not None:
        inner = inner.where(condition(table))
    v = table.alias("entry")
    ent = entity.alias("entry_entity")
    query = select().select_from(v).join(ent, ent.c.id == v.c.entity_id)
    query = query.where(v.c.id.in_(inner), ent.c.removed_run_id.is_(None))
    aliases: dict[str, Any] = {"v": v}
    if joins is not None:
        query, more = joins(query, v)
        aliases.update(more)
    query = ctx.only_touched(query, v, kind)
    day_expr = day(aliases)
    group_expr = group(aliases) if group else None
    if deadline_override is not None:
        query, deadline = deadline_override(query, aliases)
    else:
        assert spec is not None
        query, deadline = with_deadline(
            ctx,
            query,
            spec,
            day_expr,
            group=group_expr,
            deployment=v.c.deployment,
            lesson_start=lesson_start(aliases) if lesson_start else None,
        )
    query, seen, prev_seen, _, _ = join_run_times(
        query, v.c.first_seen_run_id, v.c.prev_seen_run_id
    )
    source = epoch(v.c[f"f_{source_field}"]) if source_field else None
    verdict = verdict_sql(
        deadline, seen, prev_seen, source, judge_baseline=ctx.profile.judge_baseline
    )
    if where is not None:
        query = query.where(where(aliases))
    extras = extra or {}
    query = query.add_columns(
        v.c.external_id,
        v.c.deployment,
        verdict.label("verdict"),
        deadline.label("deadline"),
        seen.label("seen"),
        prev_seen.label("prev_seen"),
        (v.c[f"f_{source_field}"] if source_field else null()).label("source"),
        (person(aliases) if person else literal(None)).label("person"),
        (group_expr if group_expr is not None else literal(None)).label("grp"),
        day_expr.label("day"),
        *[expr(aliases).label(f"x_{name}") for name, expr in extras.items()],
    ).where(verdict != Verdict.MET.value)
    out: list[EntryRow] = []
    for row in ctx.conn.execute(query).mappings():
        out.append(
            EntryRow(
                key=row["external_id"],
                deployment=row["deployment"],
                verdict=row["verdict"],
                deadline=int(row["deadline"]),
                seen=row["seen"],
                prev_seen=row["prev_seen"],
                source=row["source"],
                person=row["person"],
                group=row["grp"],
                day=row["day"],
                extra={name: row[f"x_{name}"] for name in extras},
            )
        )
    return out


def missing_entries(
    ctx: Context,
    *,
    kind: str,
    spec: DeadlineSpec,
    day: Any,
    missing: Any,
    joins: Any = None,
    where: Any = None,
    group: Any = None,
    person: Any = None,
    lesson_start: Any = None,
) -> list[EntryRow]:
    """Current records still lacking an entry (``missing``) after a run observed past the deadline."""
    v = ctx.version(kind, "holder")
    ent = entity.alias("holder_entity")
    query = (
        select()
        .select_from(v)
        .join(ent, ent.c.id == v.c.entity_id)
        .where(current(v), ent.c.removed_run_id.is_(None), missing(v))
    )
    aliases: dict[str, Any] = {"v": v}
    if joins is not None:
        query, more = joins(query, v)
        aliases.update(more)
    query = ctx.only_touched(query, v, kind)
    day_expr = day(aliases)
    group_expr = group(aliases) if group else None
    query, deadline = with_deadline(
        ctx,
        query,
        spec,
        day_expr,
        group=group_expr,
        deployment=v.c.deployment,
        name="due_m",
        lesson_start=lesson_start(aliases) if lesson_start else None,
    )
    last = sync_run.alias("last_seen")
    query = query.join(last, last.c.id == v.c.last_seen_run_id)
    last_epoch = epoch(last.c.observed_at)
    if where is not None:
        query = query.where(where(aliases))
    query = query.add_columns(
        v.c.external_id,
        v.c.deployment,
        deadline.label("deadline"),
        last_epoch.label("seen"),
        (person(aliases) if person else literal(None)).label("person"),
        (group_expr if group_expr is not None else literal(None)).label("grp"),
        day_expr.label("day"),
    ).where(last_epoch >= deadline)
    return [
        EntryRow(
            key=r["external_id"],
            deployment=r["deployment"],
            verdict=Verdict.VIOLATED.value,
            deadline=int(r["deadline"]),
            seen=r["seen"],
            prev_seen=None,
            source=None,
            person=r["person"],
            group=r["grp"],
            day=r["day"],
            extra={"missing": True},
        )
        for r in ctx.conn.execute(query).mappings()
    ]


VERDICT_RU = {
    Verdict.VIOLATED.value: "нарушен срок",
    Verdict.POSSIBLY.value: "возможно нарушен срок",
}


def entry_findings(
    ctx: Context,
    rule: Rule[Any],
    params: RuleParams,
    rows: list[EntryRow],
    *,
    what: str | Callable[[EntryRow], str],
    spec: DeadlineSpec | None = None,
    entity_kind: str | None = None,
    day_words: str = "за",
) -> list[Any]:
    """Findings from entry rows, with the §8 evidence and a Russian message."""
    findings = []
    zone = ctx.profile.timezone
    rule_text = f" ({spec.describe()})" if spec else ""
    # thousands of rows share a few hundred days, deadlines and sync moments: format each once
    moment_ru = cache(lambda value: ru_moment(value, zone))
    date_ru = cache(lambda value: ru_date(str(value)) if value is not None else "—")
    iso_of = cache(iso)
    for r in rows:
        label = what(r) if callable(what) else what
        day = date_ru(r.day)
        due_text = moment_ru(r.deadline)
        if r.extra.get("missing"):
            message = (
                f"{label} {day_words} {day} отсутствует в журнале: синхронизация "
                f"{moment_ru(r.seen)} прошла после срока ({due_text}) и записи не нашла"
            )
            evidence: dict[str, Any] = {
                "missing": True,
                "last_seen_at": iso_of(r.seen),
                "day": str(r.day),
            }
        else:
            message = (
                f"{label} {day_words} {day}: {VERDICT_RU[r.verdict]}{rule_text}, срок — {due_text}"
            )
            if r.seen is not None:
                message += f"; запись впервые увидела синхронизация {moment_ru(r.seen)}"
            evidence = run_evidence(r.seen, r.prev_seen, r.source, moment=iso_of)
            evidence["day"] = str(r.day)
        evidence["deadline"] = iso_of(r.deadline)
        for k, val in r.extra.items():
            if k != "missing":
                evidence[k] = val if isinstance(val, str | int | float | type(None)) else str(val)
        findings.append(
            ctx.finding(
                rule,
                entity_key=r.key,
                entity_kind=entity_kind,
                deployment=r.deployment,
                verdict=r.verdict,
                params=params,
                message=message,
                deadline=r.deadline,
                person=r.person,
                group=r.group,
                evidence=evidence,
            )
        )
    return findings
