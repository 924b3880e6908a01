"""What a platform cannot carry: the rules whose facts never reach the canonical model from it.

A rule whose fact a platform does not transmit (or cannot even represent) is not checked on
that platform: the report says so, with the reason, instead of a silent zero.  The scenario
generator reads the same table, so it never plants on a platform what the platform cannot
show.  Keys are ``canonical.base.Platform`` values and rule ids of policy-catalog.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

NOT_CARRIED: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "poo": MappingProxyType(
            {
                "marks.work_type.required": (
                    "в «Модуле ПОО» каждая отметка принадлежит заданию с типом, "
                    "отметку без вида работы платформа не передаёт и не допускает"
                ),
                "staff.card.deadline": (
                    "платформа не передаёт дату вступления сотрудника в должность"
                ),
            }
        ),
        "netschool": MappingProxyType(
            {
                "lesson.topic.matches_plan": (
                    "платформа не передаёт календарно-тематическое планирование (КТП): "
                    "в «webapi» нет ни планов, ни их пунктов"
                ),
            }
        ),
        # docs/protocols/eljur-emulated.md §5: what ЭлЖур's API does not carry
        "eljur": MappingProxyType(
            {
                **dict.fromkeys(
                    (
                        "lesson.topic.matches_plan",
                        "plan.coverage",
                        "plan.deadline",
                        "plan.hours.match_curriculum",
                    ),
                    "платформа не передаёт календарно-тематическое планирование (КТП): "
                    "в API ЭлЖур нет ни планов, ни их пунктов",
                ),
                "contingent.movement.deadline": (
                    "платформа не передаёт приказы о движении обучающихся и даты зачисления"
                ),
                "marks.density": (
                    "платформа не передаёт, с какого и до какого дня обучающийся в классе "
                    "(выбывшие остаются в списке класса): долю обучающихся без отметок "
                    "не посчитать честно"
                ),
                "epgu.own_child_only": (
                    "платформа не передаёт связи родителей с детьми для учётной записи школы"
                ),
                "absence.reason.deadline": (
                    "платформа не передаёт причину пропуска: пропуск в ЭлЖур — отметка «н» "
                    "или «оп» без причины и без времени её внесения"
                ),
            }
        ),
    }
)


NOT_CARRIED_FOR_PROFILE: Mapping[tuple[str, str, str], str] = MappingProxyType(
    {
        # talmenka counts the reason's deadline from the supporting document (2.9); the
        # other profiles count from the absence, which every platform carries
        ("netschool", "absence.reason.deadline", "talmenka"): (
            "платформа не передаёт дату документа о причине пропуска, от которой считается срок"
        ),
    }
)
"""Facts only some profiles' wording of a rule needs: (platform, rule, profile) → reason."""


def not_carried(platform: str, rule_id: str, profile_id: str = "") -> str | None:
    """Why ``rule_id`` cannot be checked on ``platform`` for ``profile_id`` (Russian), or
    ``None`` if it can."""
    return NOT_CARRIED.get(platform, {}).get(rule_id) or NOT_CARRIED_FOR_PROFILE.get(
        (platform, rule_id, profile_id)
    )


def unchecked_label(reason: str) -> str:
    """The words a report shows for such a rule."""
    return f"не проверяется: {reason}"
