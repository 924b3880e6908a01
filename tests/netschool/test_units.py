"""Pure pieces: week selection, the error table, mark and absence normalisation, deployments."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from canonical import AbsenceCode, MarkScale
from connectors.netschool import wire
from connectors.netschool.deployments import known_deployments, version_supported
from connectors.netschool.errors import (
    AuthFailed,
    MalformedAnswer,
    ServerHangs,
    Unreachable,
    final_error,
    is_transient,
    retry_after,
)
from connectors.netschool.pull import TermCover, cover_terms, select_weeks
from connectors.netschool.wire import JournalEntry
from mapping.netschool import Source, _scale, map_journal_entries


def test_select_weeks_window_and_full_year() -> None:
    start, end = dt.date(2026, 9, 1), dt.date(2027, 5, 31)
    full = select_weeks(dt.date(2026, 10, 14), start, end, None)
    assert full[0] == dt.date(2026, 8, 31) and full[-1] == dt.date(2027, 5, 31)
    window = select_weeks(dt.date(2026, 10, 14), start, end, 2)
    assert window == [
        dt.date(2026, 9, 28),
        dt.date(2026, 10, 5),
        dt.date(2026, 10, 12),
        dt.date(2026, 10, 19),
    ]
    early = select_weeks(dt.date(2026, 9, 2), start, end, 4)
    assert early[0] == dt.date(2026, 8, 31), "never before the year's first week"


def _status(code: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "http://127.0.0.1/webapi/x")
    response = httpx.Response(code, headers=headers, request=request)
    return httpx.HTTPStatusError("x", request=request, response=response)


def _term(tid: int, kind: int, start: str, end: str) -> wire.Term:
    return wire.Term(
        id=tid,
        termName=str(tid),
        termTypeId=kind,
        startDate=dt.date.fromisoformat(start),
        endDate=dt.date.fromisoformat(end),
    )


QUARTERS = [
    _term(1, 1, "2024-09-01", "2024-10-25"),
    _term(2, 1, "2024-11-05", "2024-12-28"),
    _term(3, 1, "2025-01-09", "2025-03-21"),
    _term(4, 1, "2025-03-31", "2025-05-26"),
]
YEAR = _term(5, 5, "2024-09-01", "2025-05-26")
HOLIDAYS = [
    wire.Vacation(
        id=1, name="Осенние", startTime=dt.date(2024, 10, 26), endTime=dt.date(2024, 11, 4)
    ),
    wire.Vacation(
        id=2, name="Зимние", startTime=dt.date(2024, 12, 29), endTime=dt.date(2025, 1, 8)
    ),
    wire.Vacation(
        id=3, name="Весенние", startTime=dt.date(2025, 3, 22), endTime=dt.date(2025, 3, 30)
    ),
    wire.Vacation(
        id=4, name="Летние", startTime=dt.date(2025, 5, 27), endTime=dt.date(2025, 8, 31)
    ),
]


def test_cover_terms_reads_the_fewest_days_and_leaves_no_school_day_out() -> None:
    terms = [*QUARTERS, YEAR]
    # A few weeks inside one quarter: that quarter alone, not the whole year.
    inside = cover_terms(terms, HOLIDAYS, dt.date(2024, 11, 11), dt.date(2024, 12, 1))
    assert [t.id for t in inside.terms] == [2] and inside.gaps == []
    # Across the autumn holidays: both quarters; the holidays need nothing.
    across = cover_terms(terms, HOLIDAYS, dt.date(2024, 10, 14), dt.date(2024, 11, 10))
    assert [t.id for t in across.terms] == [1, 2] and across.gaps == []
    # The whole year from the Monday before 1 September: quarters, and the last days of
    # August (no term, no holiday) read lesson by lesson.
    year = cover_terms(terms, HOLIDAYS, dt.date(2024, 8, 26), dt.date(2025, 6, 1))
    assert [t.id for t in year.terms] == [1, 2, 3, 4]
    assert year.gaps == [(dt.date(2024, 8, 26), dt.date(2024, 8, 31))]
    # Without the holidays listed, the quarters would leave school days out: the year wins.
    bare = cover_terms(terms, [], dt.date(2024, 10, 14), dt.date(2024, 11, 10))
    assert [t.id for t in bare.terms] == [5] and bare.gaps == []
    # No terms at all: the whole range the slow way, holidays skipped.
    none = cover_terms([], HOLIDAYS, dt.date(2024, 10, 21), dt.date(2024, 11, 10))
    assert none == TermCover(
        [],
        [
            (dt.date(2024, 10, 21), dt.date(2024, 10, 25)),
            (dt.date(2024, 11, 5), dt.date(2024, 11, 10)),
        ],
    )
    # Only holidays in range: nothing to read (the pull then asks journal/short anyway).
    assert cover_terms(QUARTERS, HOLIDAYS, dt.date(2024, 12, 30), dt.date(2025, 1, 5)) == (
        TermCover([], [])
    )


def test_error_table() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/")
    assert is_transient(httpx.ReadTimeout("t", request=request))
    assert is_transient(httpx.RemoteProtocolError("dropped", request=request))
    assert is_transient(_status(503)) and is_transient(_status(429))
    assert is_transient(MalformedAnswer("cut"))
    assert not is_transient(_status(401)) and not is_transient(_status(403))
    assert not is_transient(_status(404))
    assert isinstance(final_error(httpx.ConnectError("no", request=request), "h"), Unreachable)
    assert isinstance(final_error(httpx.ReadTimeout("t", request=request), "h"), ServerHangs)
    assert isinstance(final_error(_status(403), "h"), AuthFailed)
    assert retry_after(_status(429, {"Retry-After": "7"})) == 7.0
    when = retry_after(
        _status(429, {"Retry-After": "Wed, 14 Oct 2026 11:00:30 GMT"}),
        now=dt.datetime(2026, 10, 14, 11, 0, tzinfo=dt.UTC).timestamp(),
    )
    assert when == pytest.approx(30.0)
    assert retry_after(_status(500)) is None


def test_versions_and_deployments() -> None:
    assert version_supported("5.47.0") and version_supported("4.30.43656")
    assert (
        not version_supported("6.1.0")
        and not version_supported("")
        and not version_supported("3.9")
    )
    known = known_deployments()
    assert {"netschool.edu22.info", "sgo.tomedu.ru", "asurso.ru"} <= set(known)
    assert known["asurso.ru"].timezone == "Europe/Samara" and known["asurso.ru"].referer_path


@pytest.mark.parametrize(
    ("value", "scale", "numeric"),
    [
        ("5", MarkScale.FIVE_POINT, 5.0),
        ("4-", MarkScale.FIVE_POINT, 4.0),
        ("зч", MarkScale.PASS_FAIL, None),
        ("н/а", MarkScale.OTHER, None),
    ],
)
def test_mark_scale(value: str, scale: MarkScale, numeric: float | None) -> None:
    assert _scale(value) == (scale, numeric)


def test_journal_page_mapping_reads_local_times_and_reasons() -> None:
    source = Source("netschool.edu22.info", "Asia/Barnaul")
    entry = JournalEntry(
        wire.FilterItem(title="5а/Математика", value="77", classId=5, subjectId=9, teacherIds=[3]),
        wire.ClassMeetingBrief.model_validate(
            {
                "id": 100,
                "date": "2026-10-14T00:00:00",
                "scheduleTimeNumber": 2,
                "startTime": "09:20",
                "endTime": "10:00",
                "teachers": [{"id": 3, "name": "Смирнова А. И."}],
            }
        ),
        wire.JournalEdit.model_validate(
            {
                "lessonId": 100,
                "lessonName": "Дроби",
                "attendance": [{"studentId": 1, "reason": "Б"}, {"studentId": 2, "reason": "??"}],
                "assignments": [
                    {
                        "id": 500,
                        "typeId": 4,
                        "assignmentName": "Контрольная",
                        "weight": 3,
                        "results": [
                            {"studentId": 1, "mark": "5", "resultDate": "2026-10-14T15:30:00"},
                            {"studentId": 2, "mark": None},
                        ],
                    },
                    {
                        "id": 501,
                        "typeId": 3,
                        "assignmentName": "№ 5",
                        "dueDate": "2026-10-16T00:00:00",
                    },
                ],
            }
        ),
    )
    types = [
        wire.AssignmentType(id=3, name="Домашнее задание"),
        wire.AssignmentType(id=4, name="Контрольная работа"),
    ]
    records = map_journal_entries([entry], types, source)
    by_kind = {r.kind: [x for x in records if x.kind == r.kind] for r in records}
    (lesson,) = by_kind["lesson"]
    assert lesson.topic == "Дроби" and lesson.teacher_id == "3"  # type: ignore[attr-defined]
    (mark,) = by_kind["mark"]
    assert mark.entered_at == dt.datetime(2026, 10, 14, 8, 30, tzinfo=dt.UTC)  # type: ignore[attr-defined]
    assert mark.weight == 3.0 and mark.work_kind_name == "Контрольная работа"  # type: ignore[attr-defined]
    (homework,) = by_kind["homework"]
    assert homework.due_date == dt.date(2026, 10, 16)  # type: ignore[attr-defined]
    codes = {a.student_id: (a.code, a.valid) for a in by_kind["absence"]}  # type: ignore[attr-defined]
    assert codes == {"1": (AbsenceCode.B, True), "2": (AbsenceCode.OT, None)}
