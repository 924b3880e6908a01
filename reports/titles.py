"""Russian names for what the doors list: rules, entities, the institution's zone."""

from __future__ import annotations

from typing import Any

from reports.run_words import SOURCE_RU, changes_text

__all__ = [
    "ENTITY_RU",
    "SOURCE_RU",
    "changes_text",
    "profile_timezone",
    "rule_title",
    "store_timezone",
]


def rule_title(rule_id: str) -> str:
    """The rule's Russian title; never its id."""
    from local_store.discrepancies import RULES as DISCREPANCY_RULES
    from policies.rule import RULES, all_rules

    if not RULES:
        all_rules()
    rule = RULES.get(rule_id)
    if rule is not None:
        return rule.title
    found = DISCREPANCY_RULES.get(rule_id)
    return found.title if found is not None else "правило без названия"


ENTITY_RU = {
    "absence": "пропуск",
    "diary_opt_out": "отказ от электронного дневника",
    "epgu_request": "заявление ЕПГУ",
    "group": "группа",
    "homework": "домашнее задание",
    "invitation_code": "пригласительный код",
    "lesson": "урок",
    "mark": "отметка",
    "movement_order": "приказ",
    "person": "карточка человека",
    "plan": "КТП",
    "report": "отчёт",
    "teacher": "преподаватель",
    "teaching_assignment": "нагрузка преподавателя",
}


def profile_timezone(profile_id: str | None) -> str:
    """The institution's zone from its profile (UTC when the profile is unknown)."""
    from policies.profiles import ProfileError, load_profile

    if not profile_id:
        return "UTC"
    try:
        return load_profile(profile_id).timezone
    except ProfileError:
        return "UTC"


def store_timezone(engine: Any) -> str:
    """The zone of the institution the store holds (UTC before the first sync)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from local_store.schema import version_table

    table = version_table("institution")
    try:
        with engine.connect() as conn:
            zone = conn.execute(
                select(table.c.f_timezone).where(table.c.superseded_run_id.is_(None)).limit(1)
            ).scalar()
    except SQLAlchemyError:
        return "UTC"
    return str(zone) if zone else "UTC"
