"""The five institutions the scenarios imitate: facts from their regulations.

Time zones, kinds and periods come from ``shared/docs/policy-catalog.md`` and
the regulations; the week length, bell schedules and the parameters the
regulations leave to a local act («в сроки, установленные…») are this
generator's assumptions, written down in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

Bell = tuple[int, dt.time, dt.time]


def _bells(*spans: str) -> tuple[Bell, ...]:
    out: list[Bell] = []
    for number, span in enumerate(spans, start=1):
        start, end = span.split("-")
        out.append((number, dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return tuple(out)


COLLEGE_PAIRS = _bells("08:30-10:00", "10:10-11:40", "12:10-13:40", "13:50-15:20", "15:30-17:00")
"""Colleges teach in pairs (пары) of two academic hours, 90 minutes."""

SCHOOL_LESSONS = _bells(
    "08:30-09:10",
    "09:20-10:00",
    "10:20-11:00",
    "11:20-12:00",
    "12:10-12:50",
    "13:00-13:40",
    "13:50-14:30",
)


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    short_name: str
    kind: str
    """``school`` or ``college``."""
    region: str
    locality: str
    timezone: str
    week_days: int
    journal_platform: str
    """The journal the institution runs: ``poo``, ``netschool`` or ``eljur``."""
    demo_platform: str
    """The emulator the demo renders the journal with (ЭлЖур is rendered through NetSchool)."""
    deployment: str
    school_id: int
    group_size: int
    bells: tuple[Bell, ...]
    departments: tuple[str, ...] = ()

    @property
    def period_kind(self) -> str:
        return "quarter" if self.kind == "school" else "semester"

    @property
    def hours_per_lesson(self) -> int:
        return 2 if self.kind == "college" else 1


PROFILES: dict[str, Profile] = {
    "tpt": Profile(
        id="tpt",
        name="Областное государственное бюджетное профессиональное образовательное учреждение "
        "«Томский политехнический техникум»",
        short_name="ОГБПОУ «ТПТ»",
        kind="college",
        region="Томская область",
        locality="г. Томск",
        timezone="Asia/Tomsk",
        week_days=6,
        journal_platform="poo",
        demo_platform="poo",
        deployment="poo.tomedu.ru",
        school_id=7001,
        group_size=25,
        bells=COLLEGE_PAIRS,
    ),
    "usolye": Profile(
        id="usolye",
        name="Государственное бюджетное профессиональное образовательное учреждение Самарской "
        "области «Усольский сельскохозяйственный техникум»",
        short_name="ГБПОУ СО «УСХТ»",
        kind="college",
        region="Самарская область",
        locality="с. Усолье, Шигонский р-н",
        timezone="Europe/Samara",
        week_days=6,
        journal_platform="poo",
        demo_platform="poo",
        deployment="spo.asurso.ru",
        school_id=6301,
        group_size=22,
        bells=COLLEGE_PAIRS,
    ),
    "kpgt": Profile(
        id="kpgt",
        name="Государственное бюджетное профессиональное образовательное учреждение "
        "«Каслинский промышленно-гуманитарный техникум»",
        short_name="ГБПОУ «КПГТ»",
        kind="college",
        region="Челябинская область",
        locality="г. Касли",
        timezone="Asia/Yekaterinburg",
        week_days=5,
        journal_platform="poo",
        demo_platform="poo",
        deployment="poo.edu-74.ru",
        school_id=7401,
        group_size=24,
        bells=COLLEGE_PAIRS,
        departments=(
            "Касли, ул. Лобашова",
            "Касли, ул. Стадионная",
            "Касли, ул. Советская",
            "п. Вишневогорск",
        ),
    ),
    "talmenka": Profile(
        id="talmenka",
        name="Краевое государственное бюджетное общеобразовательное учреждение "
        "«Тальменская общеобразовательная школа-интернат»",
        short_name="КГБОУ «Тальменская ОШИ»",
        kind="school",
        region="Алтайский край",
        locality="р. п. Тальменка",
        timezone="Asia/Barnaul",
        week_days=5,
        journal_platform="netschool",
        demo_platform="netschool",
        deployment="netschool.edu22.info",
        school_id=2201,
        group_size=14,
        bells=SCHOOL_LESSONS,
    ),
    "mazanka": Profile(
        id="mazanka",
        name="Муниципальное бюджетное общеобразовательное учреждение «Мазанская школа» "
        "Симферопольского района Республики Крым",
        short_name="МБОУ «Мазанская школа»",
        kind="school",
        region="Республика Крым",
        locality="с. Мазанка, Симферопольский р-н",
        timezone="Europe/Simferopol",
        week_days=5,
        journal_platform="eljur",
        demo_platform="eljur",
        deployment="mazanka.eljur.ru",
        school_id=9101,
        group_size=20,
        bells=SCHOOL_LESSONS,
    ),
}


def profile(profile_id: str) -> Profile:
    try:
        return PROFILES[profile_id]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"неизвестный профиль {profile_id!r}; известны: {known}") from None
