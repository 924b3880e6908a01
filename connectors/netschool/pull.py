"""Pulling a whole institution with a staff account: structure, then the journal week by week.

The result is wire data grouped the way the store's scopes are (class × week);
mapping to the canonical model and ingesting are someone else's job.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from connectors.netschool import wire
from connectors.netschool.client import NetSchoolClient
from connectors.netschool.errors import NetSchoolError
from connectors.netschool.wire import InstitutionPull, JournalEntry

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
"""(stage, done, total): called as pages arrive."""


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def select_weeks(
    today: dt.date,
    year_start: dt.date,
    year_end: dt.date,
    lookback_weeks: int | None,
    ahead_weeks: int = 1,
) -> list[dt.date]:
    """Mondays to pull: the whole year (``lookback_weeks=None``) or a window around today."""
    first = monday(year_start)
    last = monday(year_end)
    if lookback_weeks is not None:
        first = max(first, monday(today) - dt.timedelta(weeks=lookback_weeks))
        last = min(last, monday(today) + dt.timedelta(weeks=ahead_weeks))
    weeks = []
    current = first
    while current <= last:
        weeks.append(current)
        current += dt.timedelta(weeks=1)
    return weeks


@dataclass(frozen=True)
class TermCover:
    """How to read a date range: these terms' whole journals, and lesson by lesson the
    stretches (``gaps``) no chosen term covers that are not holidays."""

    terms: list[wire.Term]
    gaps: list[tuple[dt.date, dt.date]]


def cover_terms(
    terms: Sequence[wire.Term],
    vacations: Sequence[wire.Vacation],
    start: dt.date,
    end: dt.date,
) -> TermCover:
    """The terms of one kind whose journals hold every lesson of ``start..end``.

    ``grade/journal`` answers one subject group for one term, so a range costs one
    request per group and term it touches.  Terms of one kind (quarters, half-years…)
    do not overlap; the kind chosen leaves the fewest school days uncovered, then reads
    the fewest school days, then needs the fewest requests (a whole year's pull reads the
    year term once rather than four quarters; a few weeks read their quarter).  Days outside every chosen term
    that are not holidays are returned as gaps, to be read the slow way.
    """
    if start > end:
        return TermCover([], [])
    holiday: set[dt.date] = set()
    for vacation in vacations:
        day = max(vacation.startTime, start)
        while day <= min(vacation.endTime, end):
            holiday.add(day)
            day += dt.timedelta(days=1)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    kinds: dict[int | None, list[wire.Term]] = defaultdict(list)
    for term in terms:
        if term.startDate <= end and term.endDate >= start:
            kinds[term.termTypeId].append(term)
    best: tuple[tuple[int, int, int], TermCover] | None = None
    for kind_terms in kinds.values():
        chosen = sorted(kind_terms, key=lambda t: t.startDate)
        uncovered = [
            day
            for day in days
            if day not in holiday and not any(t.startDate <= day <= t.endDate for t in chosen)
        ]
        read = sum(_school_days(t, holiday) for t in chosen)
        score = (len(uncovered), read, len(chosen))
        if best is None or score < best[0]:
            best = (score, TermCover(chosen, _stretches(uncovered)))
    if best is None:
        return TermCover([], _stretches([d for d in days if d not in holiday]))
    return best[1]


def _school_days(term: wire.Term, holiday: set[dt.date]) -> int:
    """Days of the term a lesson can fall on: the answer's size grows with them, not with
    the holidays inside the term (holidays outside ``start..end`` are not known here and
    count as school days)."""
    total = (term.endDate - term.startDate).days + 1
    return total - sum(1 for day in holiday if term.startDate <= day <= term.endDate)


def _stretches(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as runs of consecutive days."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


async def _gather(
    items: Sequence[Coroutine[Any, Any, T]], stage: str, progress: Progress | None
) -> list[T]:
    done = 0
    total = len(items)

    async def track(item: Coroutine[Any, Any, T]) -> T:
        nonlocal done
        result = await item
        done += 1
        if progress is not None:
            progress(stage, done, total)
        return result

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(track(i)) for i in items]
    except BaseExceptionGroup as failed:
        # One failure cancels the rest; report the first cause, not the group.
        raise failed.exceptions[0] from None
    return [t.result() for t in tasks]


REFUSED_CARD = (403, 404)
"""Statuses a server answers when the account may not read a parents card (or the card is
not there); 5xx (after the client's retries) counts as refused too."""


def refused_status(exc: BaseException) -> int | None:
    """The HTTP status when ``exc`` is the server refusing one request (403, 404, 5xx), so
    the pull can go on without that part; ``None`` for anything else (a session the server
    does not accept, an unreachable server…), which must stop the pull."""
    cause = exc.__cause__
    if not isinstance(exc, NetSchoolError) or not isinstance(cause, httpx.HTTPStatusError):
        return None
    code = cause.response.status_code
    return code if code in REFUSED_CARD or code >= 500 else None


@dataclass
class ParentsRead:
    """What :func:`_student_parents` found: the cards, how many it read, and why it stopped."""

    cards: dict[int, list[wire.StudentParent]]
    read: int
    refused: int | None = None
    """The status of the first refused card; then no further cards were asked for."""
    missing: int = 0
    """Listed students whose cards are neither read nor known."""


async def _student_parents(
    client: NetSchoolClient,
    class_students: dict[int, list[wire.StudentListItem]],
    progress: Progress | None,
    known: Mapping[int, Sequence[wire.StudentParent]] | None = None,
    reread: bool = False,
) -> ParentsRead:
    """Each listed student's parents: one card per student, the only staff surface that
    links a parent to a child (the ЕПГУ decision and the parents' card rules need it).
    A student who left stays listed (``free``) and so do the parents: a departure is one
    enrolment ending, not a family's cards vanishing (which the mass-change guard holds).

    Cards change rarely and a school has thousands: a student in ``known`` (the cards the
    store already holds) is not asked for again unless ``reread``, only new students are.
    A refused card (the account may not read them, or the server fails on them) stops the
    reading: the pull goes on with the known cards, and the caller says so.
    """
    ids = sorted({s.id for students in class_students.values() for s in students})
    have = known or {}
    wanted = ids if reread else [i for i in ids if i not in have]
    refused: list[int] = []
    # the client's own limit admits a request only when it is sent; this one is taken
    # before asking, so after a refusal no queued card is asked for
    turns = asyncio.Semaphore(client.settings.concurrency)

    async def card(student_id: int) -> list[wire.StudentParent] | None:
        async with turns:
            if refused:
                return None
            try:
                return await client.student_parents(student_id)
            except NetSchoolError as exc:
                code = refused_status(exc)
                if code is None:
                    raise
                refused.append(code)
                return None

    answers = await _gather([card(i) for i in wanted], "parents", progress)
    read = {i: a for i, a in zip(wanted, answers, strict=True) if a is not None}
    cards: dict[int, list[wire.StudentParent]] = {}
    for student_id in ids:
        if student_id in read:
            cards[student_id] = read[student_id]
        elif student_id in have:
            cards[student_id] = list(have[student_id])
    return ParentsRead(
        cards,
        len(read),
        refused[0] if refused else None,
        missing=len(ids) - len(cards),
    )


def parents_warning(found: ParentsRead) -> str | None:
    """The Russian warning for a refused card (counts only, no personal data)."""
    if found.refused is None:
        return None
    kept = len(found.cards) - found.read
    return (
        f"сервер отказал в карточках родителей (HTTP {found.refused}): сведения о родителях "
        f"не обновлены; прочитано карточек: {found.read}, оставлено из прошлых синхронизаций: "
        f"{kept}, недоступно: {found.missing}. Проверьте права учётной записи на карточки "
        "обучающихся; синхронизация журнала продолжена"
    )


async def pull_institution(
    client: NetSchoolClient,
    *,
    timezone: str,
    lookback_weeks: int | None = 2,
    ahead_weeks: int = 1,
    progress: Progress | None = None,
    only_classes: Collection[int] | None = None,
    known_parents: Mapping[int, Sequence[wire.StudentParent]] | None = None,
    reread_parents: bool = True,
) -> InstitutionPull:
    """Everything the staff account sees: structure, and the journal for the selected weeks.

    ``known_parents`` (student → the parents card as last read): without
    ``reread_parents`` only students not in it are asked for their cards; either way a
    refused card leaves the known ones in place (and a warning in ``pull.warnings``).

    ``only_classes`` narrows the pull to those classes' journals (a sync at one group's
    deadline): their rosters and the school's other classes are not read, so such a pull
    carries no structure (see :attr:`InstitutionPull.only_classes`).
    """
    version = await client.check_version()
    context = await client.context()
    server_time = client.server_time
    year = await client.current_year()
    terms = await client.terms()
    vacations = await client.vacations()
    scoped = only_classes is not None
    classes = await client.classes()
    # a narrowed pull maps no structure: the subjects' and staff lists would go unused
    subjects = [] if scoped else await client.subjects()
    types = await client.assignment_types()
    staff = [] if scoped else await client.staff()
    filters = await client.journal_filters()
    subject_groups = filters.items("SGID")
    class_ids = [c.id for c in classes]
    if only_classes is not None:
        wanted_ids = set(only_classes)
        class_ids = [cid for cid in class_ids if cid in wanted_ids]
    students = await _gather(
        [] if scoped else [client.class_students(cid) for cid in class_ids], "students", progress
    )
    subgroups = [sg for sg in subject_groups if sg.subgroupName and not scoped]
    members = await _gather(
        [client.group_students(int(sg.value), None) for sg in subgroups], "subgroups", progress
    )
    now = server_time or dt.datetime.now(dt.UTC)
    today = now.astimezone(ZoneInfo(timezone)).date()
    weeks = select_weeks(today, year.startDate, year.endDate, lookback_weeks, ahead_weeks)
    pull = InstitutionPull(
        version=version,
        server_time=server_time,
        context=context,
        year=year,
        terms=terms,
        vacations=vacations,
        classes=classes,
        subjects=subjects,
        types=types,
        staff=staff,
        subject_groups=subject_groups,
        class_students={} if scoped else dict(zip(class_ids, students, strict=True)),
        group_students={int(sg.value): m for sg, m in zip(subgroups, members, strict=True)},
        weeks=weeks,
        only_classes=frozenset(class_ids) if scoped else None,
    )
    if not scoped:
        found = await _student_parents(
            client, pull.class_students, progress, known_parents, reread_parents
        )
        pull.student_parents = found.cards
        pull.parents_read = found.read
        warning = parents_warning(found)
        if warning is not None:
            pull.warnings.append(warning)
    pull.journal = {cid: {w: [] for w in weeks} for cid in class_ids}
    if not weeks:
        pull.requests = client.requests
        return pull
    start, end = weeks[0], weeks[-1] + dt.timedelta(days=6)
    known_classes = set(class_ids)
    groups = [sg for sg in subject_groups if sg.classId in known_classes]
    # Lessons of this year's journal lie inside the school year.
    cover = cover_terms(terms, vacations, max(start, year.startDate), min(end, year.endDate))
    if not cover.terms and not cover.gaps:
        # The whole range is holidays: ask for the (empty) lessons anyway, so the
        # period marks still arrive with the range's journals.
        cover = TermCover([], [(start, end)])
    entries: list[tuple[int, wire.FilterItem, wire.ClassMeetingBrief, wire.JournalEdit]] = []
    pull.totals = {cid: [] for cid in class_ids}
    totals_seen: set[tuple[str, int, int]] = set()

    def add_totals(sg: wire.FilterItem, totals: list[wire.Total]) -> None:
        assert sg.classId is not None
        for total in totals:
            key = (sg.value, total.termId, total.studentId)
            if key not in totals_seen:
                totals_seen.add(key)
                pull.totals[sg.classId].append((sg, total))

    # Whole term journals: one request per subject group and term, every lesson in it.
    asked = [(pos, sg, term) for term in cover.terms for pos, sg in enumerate(groups)]
    journals = await _gather(
        [
            client.journal(int(sg.value), sg.classId or -1, term.id, year.id)
            for _, sg, term in asked
        ],
        "journal",
        progress,
    )
    seen_meetings: set[int] = set()
    for (pos, sg, _), answer in zip(asked, journals, strict=True):
        for journal in answer.journals:
            add_totals(sg, journal.totals)
            for meeting in journal.classMeeting:
                if start <= meeting.date <= end and meeting.id not in seen_meetings:
                    seen_meetings.add(meeting.id)
                    entries.append((pos, sg, meeting.brief(), meeting.page()))
    # Days no term covers (none in a usual year): lesson by lesson, as the edit page does.
    for gap_start, gap_end in cover.gaps:
        shorts = await _gather(
            [client.journal_short(int(sg.value), gap_start, gap_end) for sg in groups],
            "lessons",
            progress,
        )
        wanted: list[tuple[int, wire.FilterItem, wire.ClassMeetingBrief]] = []
        for pos, (sg, short) in enumerate(zip(groups, shorts, strict=True)):
            for brief in short.journals:
                add_totals(sg, brief.totals)
                for listed in brief.classMeeting:
                    if gap_start <= listed.date <= gap_end and listed.id not in seen_meetings:
                        seen_meetings.add(listed.id)
                        wanted.append((pos, sg, listed))
        pages = await _gather(
            [client.journal_edit(m.id, int(sg.value)) for _, sg, m in wanted],
            "journal",
            progress,
        )
        entries.extend((pos, sg, m, page) for (pos, sg, m), page in zip(wanted, pages, strict=True))
    entries.sort(key=lambda e: (e[0], e[2].date))
    buckets: dict[int, dict[dt.date, list[JournalEntry]]] = defaultdict(dict)
    buckets.update(pull.journal)
    for _, sg, lesson, page in entries:
        assert sg.classId is not None
        buckets[sg.classId][monday(lesson.date)].append(JournalEntry(sg, lesson, page))
    pull.journal = dict(buckets)
    pull.requests = client.requests
    return pull
