"""Period results (policy-catalog.md §3): final marks in time and visible (density: density.py)."""

from __future__ import annotations

from typing import Any

from local_store.schema import version_table
from policies.deadlines import DeadlineSpec
from policies.rule import Context, Outcome, Rule, RuleParams, clause_map, register
from policies.rules.common import entry_findings, entry_verdicts, ref


class FinalMarksParams(RuleParams):
    deadline: DeadlineSpec = DeadlineSpec()
    """Counted from the last day of the period."""
    final_kinds: tuple[str, ...] = ("period", "attestation", "year", "exam")


def _final_rows(ctx: Context, params: FinalMarksParams) -> list[Any]:
    def joins(query: Any, v: Any) -> tuple[Any, dict[str, Any]]:
        period = version_table("period").alias("fm_period")
        return query.join(period, ref(period, v, "f_period_id")), {"period": period}

    def deadline(query: Any, a: dict[str, Any]) -> tuple[Any, Any]:
        table = ctx.due_table(params.deadline, "fm_due")
        return query.join(table, table.c.day == a["period"].c.f_ends_on), table.c.due

    return entry_verdicts(
        ctx,
        kind="mark",
        spec=params.deadline,
        joins=joins,
        day=lambda a: a["period"].c.f_ends_on,
        group=lambda a: a["v"].c.f_group_id,
        person=lambda a: a["v"].c.f_teacher_id,
        where=lambda a: a["v"].c.f_final_kind.in_(params.final_kinds),
        deadline_override=deadline,
    )


@register
class FinalMarksDeadline(Rule[FinalMarksParams]):
    id = "final_marks.deadline"
    title = "Итоговые отметки выставлены в срок"
    entity_kind = "mark"
    params_model = FinalMarksParams
    clauses = clause_map({"kpgt": "3.2", "talmenka": "2.6", "mazanka": "3.5.8", "tpt": "4.6"})

    def evaluate(self, ctx: Context, params: FinalMarksParams) -> Outcome:
        rows = _final_rows(ctx, params)
        findings = entry_findings(ctx, self, params, rows, what="Итоговая отметка (конец периода)")
        return Outcome(findings, touched=ctx.touched_keys("mark"))


@register
class FinalMarksVisible(Rule[FinalMarksParams]):
    id = "final_marks.visible.deadline"
    title = "Результаты аттестации доступны обучающимся и родителям в срок"
    entity_kind = "mark"
    params_model = FinalMarksParams
    clauses = clause_map({"usolye": "7.3"})

    def evaluate(self, ctx: Context, params: FinalMarksParams) -> Outcome:
        rows = _final_rows(ctx, params)
        findings = entry_findings(
            ctx, self, params, rows, what="Результат аттестации (конец периода)"
        )
        return Outcome(findings, touched=ctx.touched_keys("mark"))
