"""Russian names for what the CLI lists: rules (of the regulation and of reconciliation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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


def changes_text(counts: Mapping[str, Any]) -> str:
    """«уроки: +12, изменено 3, удалено 1» per kind that changed; «без изменений» otherwise."""
    from canonical.wording import kind_title

    parts = []
    for kind, c in sorted(counts.items(), key=lambda item: kind_title(item[0])):
        if not isinstance(c, Mapping):
            continue
        added, changed, removed = (int(c.get(k, 0) or 0) for k in ("added", "changed", "removed"))
        if not (added or changed or removed):
            continue
        bits = [f"+{added}"] if added else []
        if changed:
            bits.append(f"изменено {changed}")
        if removed:
            bits.append(f"удалено {removed}")
        parts.append(f"{kind_title(kind)}: {', '.join(bits)}")
    return "; ".join(parts) or "без изменений"


SOURCE_RU = {
    "netschool": "Сетевой город",
    "poo": "Модуль ПОО",
    "eljur": "ЭлЖур",
    "smev3": "СМЭВ 3",
    "contingent": "реестр контингента",
    "local": "файлы организации",
}
