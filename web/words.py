"""Russian words the pages show that the reports do not already carry."""

from __future__ import annotations

RUN_STATUS_RU = {
    "running": "выполняется",
    "succeeded": "успешно",
    "failed": "ошибка",
    "held": "задержан",
    "discarded": "отклонён",
    "interrupted": "прерван",
}
OUTBOX_STATUS_RU = {
    "pending": "ожидает отправки",
    "sent": "отправлено, ждём ответа",
    "answered": "получен ответ",
    "delivered": "доставлено",
    "failed": "ошибка",
}
