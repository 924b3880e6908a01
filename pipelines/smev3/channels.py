"""The outbox channels of the СМЭВ exchanges (kept apart so the doors read them without zeep)."""

MOVEMENT = "contingent.movement"
EPGU_ANSWER = "epgu.answer"
E_USLUGI_RECEIPT = "e_uslugi.receipt"
