"""Russian words for sync runs, shared by the doors (the CLI's tables and the web pages)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from canonical.wording import kind_title

RUN_STATUS_RU = {
    "running": "выполняется",
    "succeeded": "успешно",
    "failed": "ошибка",
    "held": "задержан",
    "discarded": "отклонён",
    "interrupted": "прерван",
}
SOURCE_RU = {
    "netschool": "Сетевой город",
    "poo": "Модуль ПОО",
    "eljur": "ЭлЖур",
    "smev3": "СМЭВ 3",
    "contingent": "реестр контингента",
    "local": "файлы организации",
    "epgu": "ЕПГУ",
    "e_uslugi": "«Е-услуги»",
    "reconcile": "сверка с реестром",
}


def changes_text(counts: Mapping[str, Any]) -> str:
    """«уроки: +12, изменено 3, удалено 1» per kind that changed; «без изменений» otherwise."""
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


CHANGE_RU = {"added": "добавлена", "changed": "изменена", "removed": "удалена"}
"""What a held run would do to one record."""
