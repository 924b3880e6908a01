"""The independent check: the open-source client ``asurso-api`` 0.6.3 against our ПОО emulator.

Run with the dedicated venv (``.venv-asurso/bin/python``), never imported by the
main suite: the client has its own pins.  Arguments: base URL, login, password,
first day, number of weeks.  Prints one JSON line of what the client read
(through its own pydantic models, dumped by alias); any failure exits non-zero
with the client's exception.  The client is hard-wired to spo.asurso.ru, so
its httpx client is pointed at the emulator before logging in.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from asurso_api import ASURSO  # type: ignore[import-not-found,unused-ignore]
from asurso_api.functions import lessons  # type: ignore[import-not-found,unused-ignore]


def _explicit_range(start: Any, end: Any, offset: Any = None) -> tuple[dt.date, dt.date]:
    return start, end


# The client's ``utils.range_to_dates`` builds ``datetime(year, month + 1, 1)`` for its
# enum periods before looking at the arguments, so it raises in every December
# (``month must be in 1..12``) even for explicit dates: a client bug, recorded in
# docs/protocols/poo-emulated.md.  Explicit dates need none of it.
lessons.range_to_dates = _explicit_range


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return json.loads(value.model_dump_json(by_alias=False))


def _student_views(client: Any, first: dt.date, weeks: int) -> dict[str, Any]:
    out: dict[str, Any] = {"lessons": []}
    for week in range(weeks):
        start = first + dt.timedelta(weeks=week)
        out["lessons"].extend(_dump(client.get_lessons(start, start + dt.timedelta(days=6))))
    out["dashboard"] = _dump(client.get_dashboard())
    attestation = client.get_attestation()
    out["attestation"] = _dump(attestation)
    out["attestation_marks"] = {s.name: s.marks.raw for s in attestation.subjects}
    out["performance"] = _dump(client.get_current_performance())
    out["group_attestation"] = _dump(client.get_group_attestation())
    return out


def check(base: str, login: str, password: str, first: dt.date, weeks: int) -> dict[str, Any]:
    """Every view the client offers; a parent's other children through the client's ``_SID``."""
    client = ASURSO(login, password)
    client._client.base_url = base
    info = client.login()
    tenant = info.tenants[info.tenant_name]
    sid = client._client._SID
    out: dict[str, Any] = {
        "login": _dump(info),
        "sid": sid,
        "info": _dump(client.get_info()),
        "organization": _dump(client.get_organization()),
        "chats": _dump(client.get_chats()),
        "students": {},
    }
    for student in tenant.student_role.students:
        client._client._SID = str(student.id)
        out["students"][str(student.id)] = _student_views(client, first, weeks)
    client._client._SID = sid
    out["logout"] = client.logout()
    return out


def main() -> None:
    base, login, password, first, weeks = sys.argv[1:6]
    result = check(base, login, password, dt.date.fromisoformat(first), int(weeks))
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
