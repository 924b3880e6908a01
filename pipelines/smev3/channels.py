"""The outbox channels of the СМЭВ exchanges (kept apart so the doors read them without zeep)."""

MOVEMENT = "contingent.movement"
EPGU_ANSWER = "epgu.answer"
E_USLUGI_RECEIPT = "e_uslugi.receipt"

CHANNELS_RU = {
    MOVEMENT: "движение контингента → реестр",
    EPGU_ANSWER: "ответы на заявления ЕПГУ",
    E_USLUGI_RECEIPT: "квитанции «Е-услуги»",
}
"""Each outbox channel as the operator reads it (the CLI's table and the web page)."""
OUTBOX_STATUS_RU = {
    "pending": "ожидает отправки",
    "sent": "отправлено, ждём ответа",
    "answered": "получен ответ",
    "delivered": "доставлено",
    "failed": "ошибка",
}
"""Each outbox state as the operator reads it."""
