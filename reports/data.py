"""What the reports read: one journal source's current records, as light rows.

Reports are computed "from the store for any platform": they read the
canonical version tables of whichever journal platform (NetSchool, «Модуль
ПОО», ЭлЖур) a deployment is, never a platform's own format.  Rows are plain
dicts keyed by canonical field names (no ``f_`` prefix): a college's million
marks load as tuples, not as pydantic models.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from canonical.registry import record_type
from local_store.schema import version_table

JOURNAL_PLATFORMS = ("netschool", "poo", "eljur")
KINDS = (
    "institution",
    "school_year",
    "period",
    "holiday",
    "person",
    "group",
    "subject",
    "teaching_assignment",
    "enrolment",
    "movement_order",
    "lesson",
    "homework",
    "mark",
    "absence",
    "work_kind",
)

Row = dict[str, Any]


class ReportError(ValueError):
    """A report that cannot be made as asked (Russian message)."""


@dataclass(frozen=True, order=True)
class Source:
    platform: str
    deployment: str

    def label(self) -> str:
        names = {"netschool": "«Сетевой город»", "poo": "«Модуль ПОО»", "eljur": "ЭлЖур"}
        return f"{names.get(self.platform, self.platform)} ({self.deployment})"


@dataclass(frozen=True)
class ReportPeriod:
    start: dt.date
    end: dt.date
    title: str
    period_id: str | None = None
    """The journal's reporting period, whose period (final) marks the results count."""

    def contains(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def months(self) -> list[tuple[int, int]]:
        out = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def slug(self) -> str:
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


MONTHS_RU = [
    "",
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
]


def month_period(year: int, month: int) -> ReportPeriod:
    last = calendar.monthrange(year, month)[1]
    return ReportPeriod(
        dt.date(year, month, 1), dt.date(year, month, last), f"{MONTHS_RU[month]} {year} г."
    )


def journal_sources(engine: Engine) -> list[Source]:
    """Journal sources the store has lessons or students of."""
    table = version_table("group")
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.platform, table.c.deployment)
            .where(table.c.superseded_run_id.is_(None), table.c.platform.in_(JOURNAL_PLATFORMS))
            .distinct()
        ).all()
    return sorted(Source(r[0], r[1]) for r in rows)


def pick_source(engine: Engine, wanted: str | None = None) -> Source:
    sources = journal_sources(engine)
    if wanted:
        chosen = [
            s
            for s in sources
            if wanted in (s.platform, s.deployment, f"{s.platform}:{s.deployment}")
        ]
        if len(chosen) != 1:
            known = ", ".join(f"{s.platform}:{s.deployment}" for s in sources) or "нет"
            raise ReportError(
                f"источник журнала «{wanted}» не найден или неоднозначен (есть: {known})"
            )
        return chosen[0]
    if not sources:
        raise ReportError(
            "в хранилище нет данных электронного журнала: сначала выполните синхронизацию"
        )
    if len(sources) > 1:
        known = ", ".join(f"{s.platform}:{s.deployment}" for s in sources)
        raise ReportError(f"в хранилище несколько журналов ({known}): укажите --source")
    return sources[0]


@dataclass
class JournalData:
    """Current records of one journal source, by kind and id."""

    source: Source
    rows: dict[str, dict[str, Row]] = field(default_factory=dict)

    def kind(self, kind: str) -> dict[str, Row]:
        return self.rows.get(kind, {})

    def all(self, kind: str) -> Iterator[Row]:
        return iter(self.kind(kind).values())

    def name_of(self, person_id: str | None, short: bool = False) -> str:
        p = self.kind("person").get(person_id or "")
        if p is None:
            return "—" if not person_id else f"({person_id})"
        if short:
            initials = "".join(f" {x[0]}." for x in (p["first_name"], p["middle_name"]) if x)
            return f"{p['last_name']}{initials}"
        return " ".join(x for x in (p["last_name"], p["first_name"], p["middle_name"]) if x)

    def group_name(self, group_id: str | None) -> str:
        g = self.kind("group").get(group_id or "")
        return str(g["name"]) if g else (group_id or "—")

    def subject_name(self, subject_id: str | None) -> str:
        s = self.kind("subject").get(subject_id or "")
        return str(s["name"]) if s else (subject_id or "—")

    @property
    def institution(self) -> Row | None:
        return next(self.all("institution"), None)

    def institution_name(self) -> str:
        inst = self.institution
        return str(inst["name"]) if inst else self.source.label()

    def profile(self) -> str | None:
        inst = self.institution
        return str(inst["profile_id"]) if inst else None

    def groups_sorted(self) -> list[Row]:
        return sorted(self.all("group"), key=lambda g: _natural(str(g["name"])))

    def students_of(self, group_id: str, on: dt.date | None = None) -> list[str]:
        """Students of a group (studying, or on ``on`` when given), sorted by name."""
        ids = set()
        for e in self.all("enrolment"):
            if e["group_id"] != group_id:
                continue
            if on is None:
                if e["status"] in ("studying", "academic_leave"):
                    ids.add(e["student_id"])
            elif _started(e, on) and (e["ends_on"] is None or e["ends_on"] >= on):
                ids.add(e["student_id"])
        return sorted(ids, key=lambda sid: self.name_of(sid))

    def lessons_by_group(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = defaultdict(list)
        for lesson in self.all("lesson"):
            out[lesson["group_id"]].append(lesson)
        for lessons in out.values():
            lessons.sort(key=lambda r: (r["date"], r["number"] or 0))
        return out


def _natural(text: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", text)]


def load_journal(engine: Engine, source: Source, kinds: Sequence[str] = KINDS) -> JournalData:
    """Every current record of ``kinds`` from one source, one query per kind."""
    data = JournalData(source)
    with engine.connect() as conn:
        for kind in kinds:
            table = version_table(kind)
            fields = [n for n in record_type(kind).model_fields if n != "source"]
            cols = [table.c.external_id] + [table.c[f"f_{n}"] for n in fields]
            query = select(*cols).where(
                table.c.superseded_run_id.is_(None),
                table.c.platform == source.platform,
                table.c.deployment == source.deployment,
            )
            bucket: dict[str, Row] = {}
            for row in conn.execute(query):
                values = dict(zip(fields, row[1:], strict=True))
                values["id"] = row[0]
                bucket[row[0]] = values
            data.rows[kind] = bucket
    return data


def resolve_period(
    data: JournalData, spec: str | None, today: dt.date | None = None
) -> ReportPeriod:
    """``--period``: a reporting period's id, name or number, ``YYYY-MM``, or ``from..to``."""
    periods = sorted(data.all("period"), key=lambda p: p["starts_on"])
    if spec:
        spec = spec.strip()
        for p in periods:
            if spec in (p["id"], p["name"], str(p["number"])):
                return ReportPeriod(p["starts_on"], p["ends_on"], p["name"], p["id"])
        if re.fullmatch(r"\d{4}-\d{2}", spec):
            year, month = map(int, spec.split("-"))
            return month_period(year, month)
        if ".." in spec:
            a, _, b = spec.partition("..")
            try:
                start, end = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
            except ValueError:
                raise ReportError(
                    f"период «{spec}»: даты пишутся как 2026-09-01..2026-12-31"
                ) from None
            if end < start:
                raise ReportError(f"период «{spec}»: конец раньше начала")
            inside = [p for p in periods if p["starts_on"] == start and p["ends_on"] == end]
            pid = inside[0]["id"] if inside else None
            return ReportPeriod(start, end, f"{start:%d.%m.%Y} – {end:%d.%m.%Y}", pid)
        known = ", ".join(str(p["name"]) for p in periods) or "нет"
        raise ReportError(
            f"период «{spec}» не найден (периоды журнала: {known}; можно также 2026-10 или 2026-09-01..2026-12-31)"
        )
    today = today or dt.date.today()

    def length(p: Row) -> int:
        return int((p["ends_on"] - p["starts_on"]).days)

    containing = [p for p in periods if p["starts_on"] <= today <= p["ends_on"]]
    if containing:
        p = min(containing, key=length)
        return ReportPeriod(p["starts_on"], p["ends_on"], p["name"], p["id"])
    past = [p for p in periods if p["ends_on"] < today]
    if past:
        latest = max(p["ends_on"] for p in past)
        p = min((p for p in past if p["ends_on"] == latest), key=length)
        return ReportPeriod(p["starts_on"], p["ends_on"], p["name"], p["id"])
    if periods:
        p = min(periods, key=lambda p: (p["starts_on"], length(p)))
        return ReportPeriod(p["starts_on"], p["ends_on"], p["name"], p["id"])
    return month_period(today.year, today.month)


def _started(enrolment: Row, on: dt.date) -> bool:
    """Whether an enrolment had begun by ``on``; one whose start the platform does not give
    (NetSchool's class lists) counts as begun."""
    starts = enrolment["starts_on"]
    return starts is None or bool(starts <= on)
