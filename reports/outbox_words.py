"""Why СМЭВ refused a message, as one Russian sentence for the operator.

The outbox stores the registry's reason as it came (``last_error``): the fault's Russian
title and, for a schema failure, the validator's English diagnostic («cvc-pattern-valid:
Value '123' is not facet-valid …», or xmlschema's «value doesn't match any pattern of …
(путь /Contingent/Student/Snils)»).  That raw text stays in the store and the log for
whoever debugs the exchange; an operator reads which field is wrong and what is wrong
with it.  Pure text, no I/O.
"""

from __future__ import annotations

import re

DETAIL_MARK = "; пояснение СМЭВ: "
"""How the connector joins a fault's Russian title and СМЭВ's own description."""

FIELDS_RU = {
    "Snils": "СНИЛС",
    "LastName": "фамилия",
    "FirstName": "имя",
    "MiddleName": "отчество",
    "BirthDate": "дата рождения",
    "Gender": "пол",
    "OrderNumber": "номер приказа",
    "OrderDate": "дата приказа",
    "EffectiveDate": "дата вступления приказа в силу",
    "EventKind": "вид движения",
    "GroupName": "группа",
    "GroupFrom": "группа, из которой переводят",
    "GroupTo": "группа, в которую переводят",
    "Grade": "класс",
    "Course": "курс",
    "Specialty": "специальность",
    "OrgCode": "код организации",
    "DocumentType": "вид документа, удостоверяющего личность",
    "Series": "серия документа",
    "Number": "номер документа",
    "IssueDate": "дата выдачи документа",
    "StartDate": "дата начала обучения",
    "EndDate": "дата окончания обучения",
    "RecordId": "идентификатор записи",
    "LocalID": "идентификатор обучающегося в журнале",
    "RegionalID": "идентификатор обучающегося в реестре",
    "Status": "статус",
    "Reason": "основание",
    "ChildSNILS": "СНИЛС ребёнка",
    "ChildSurname": "фамилия ребёнка",
    "ChildName": "имя ребёнка",
    "ChildMiddleName": "отчество ребёнка",
    "ChildBirthDate": "дата рождения ребёнка",
    "PersonSNILS": "СНИЛС заявителя",
    "PersonSurname": "фамилия заявителя",
    "PersonName": "имя заявителя",
    "PersonMiddleName": "отчество заявителя",
    "PersonBirthDate": "дата рождения заявителя",
    "PeriodStart": "начало периода",
    "PeriodEnd": "конец периода",
    "orderId": "номер заявления",
    "ApplicationNumber": "номер заявления",
    "ExpectedDate": "ожидаемая дата зачисления",
}
"""Element names of our business schemas (``schemas/smev3/business``) in the operator's words."""

_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), text)
    for pattern, text in (
        (
            r"cvc-pattern-valid|match any pattern|accepted by the pattern",
            "значение не соответствует формату",
        ),
        (
            r"cvc-minLength|length cannot be less|lesser than|too short",
            "значение короче допустимого",
        ),
        (r"cvc-maxLength|length cannot be greater|too long", "значение длиннее допустимого"),
        (r"cvc-length-valid|length has to be", "значение неверной длины"),
        (
            r"cvc-enumeration|must be one of|not an element of the set",
            "значения нет среди допустимых",
        ),
        (r"cvc-min|cvc-max|value has to be (greater|less)", "значение вне допустимого диапазона"),
        (
            r"Tag '[^']+' expected|not complete|cvc-complex-type\.2\.4\.b|missing required",
            "не заполнено обязательное поле",
        ),
        (
            r"unexpected child|cvc-complex-type\.2\.4\.[ad]|invalid content",
            "лишнее или не на своём месте поле",
        ),
        (r"cvc-datatype|invalid|not a valid", "значение не того вида (дата, число или код)"),
    )
)
"""What is wrong, by the validator's words: xmlschema's (the emulator) and Xerces' ``cvc-*``
codes (the real СМЭВ); the first match wins, so the specific come before the general."""


def _field(detail: str) -> str:
    """The field a diagnostic is about: an expected tag, then the path's last step, then the
    element the message names."""
    expected = re.search(r"[Tt]ag '(?:\{[^}]*\})?(?:\w+:)?(\w+)' expected", detail)
    if expected is not None:
        return expected.group(1)
    for named in (
        r"[Uu]nexpected child with tag '(?:\{[^}]*\})?(?:\w+:)?(\w+)'",
        r"starting with element '(?:\{[^}]*\})?(?:\"[^\"]*\":)?(?:\w+:)?(\w+)'",
        r"for type '(\w+?)Type'",
    ):
        found = re.search(named, detail)
        if found is not None:
            return found.group(1)
    path = re.search(r"путь ([^)\s]+)\)?", detail) or re.search(r"path[: ]+'?([^\s')]+)", detail)
    if path is not None:
        steps = [s for s in path.group(1).split("/") if s]
        if steps:
            last = re.sub(r"\[\d+\]$", "", steps[-1])
            return re.sub(r"^(\{[^}]*\}|\w+:)", "", last).lstrip("@")
    element = re.search(r"element '(?:\{[^}]*\})?(?:\w+:)?(\w+)'", detail, re.IGNORECASE)
    return element.group(1) if element is not None else ""


def _is_english(text: str) -> bool:
    return len(re.findall(r"[A-Za-z]{3,}", text)) > len(re.findall(r"[А-Яа-яЁё]{3,}", text))


def schema_problem(detail: str) -> str:
    """«поле «СНИЛС»: значение не соответствует формату» from a validator's diagnostic."""
    what = next((text for pattern, text in _PROBLEMS if pattern.search(detail)), "")
    name = _field(detail)
    field = f"поле «{FIELDS_RU.get(name, name)}»" if name else ""
    if what == "не заполнено обязательное поле" and field:
        return f"не заполнено обязательное {field}"
    if field and what:
        return f"{field}: {what}"
    if field:
        return f"{field}: значение не соответствует схеме"
    return what or "содержимое не соответствует схеме"


def outbox_reason(raw: str | None) -> str:
    """The reason an operator reads for a failed or retried row; ``""`` when there is none.

    A Russian description from СМЭВ is kept as it is; an English schema diagnostic becomes
    «поле … : что не так»; any other English text is replaced by a pointer to the log."""
    if not raw or not raw.strip():
        return ""
    title, _, detail = raw.partition(DETAIL_MARK)
    # the fault's catalogue name in brackets («(InvalidContent)») is for the log, not the operator
    title = re.sub(r"\s*\([A-Za-z]+\)", "", title).strip().rstrip(".")
    if not detail:
        if not _is_english(title):
            return f"{title}."
        return "СМЭВ вернул ошибку без описания на русском языке; подробности — в журнале работы."
    detail = detail.strip()
    if not _is_english(re.sub(r"\(путь [^)]*\)", "", detail)):
        return f"{title}: {detail.rstrip('.')}."
    problems = [schema_problem(part) for part in re.split(r"\n|; (?=cvc)", detail) if part.strip()]
    unique = list(dict.fromkeys(problems))
    return f"{title}: {'; '.join(unique)}."
