"""The reports the regulations name (policy-catalog.md §7), computed from the store.

Each builder is a pure function of one journal source's records and a period;
they work the same whatever platform the journal is on, because they read
the canonical model only.  The one exception is «Активность пользователей»,
which needs *when* entries appeared and so asks the store's observation
history (one grouped query per kind).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from local_store.schema import sync_run, version_table
from reports.data import MONTHS_RU, JournalData, ReportPeriod, month_period
from reports.marks import (
    absence_kind,
    category,
    current_averages,
    final_marks,
    is_failing,
    lesson_hours,
    student_groups,
)
from reports.regulation_titles import REGULATION_TITLES
from reports.tabular import Cell, Table, TabularReport, pct


@dataclass
class ReportContext:
    data: JournalData
    period: ReportPeriod
    engine: Engine | None = None

    def report(self, name: str, title: str, subtitle: str | None = None) -> TabularReport:
        return TabularReport(
            name=name,
            title=title,
            subtitle=subtitle
            or f"Период: {self.period.title} ({self.period.start:%d.%m.%Y} – {self.period.end:%d.%m.%Y})",
            institution=self.data.institution_name(),
        )


Builder = Callable[[ReportContext], TabularReport]


def _grade_text(g: object) -> Cell:
    if g == "pass":
        return "зч"
    if g == "fail":
        return "н/а"
    return g if isinstance(g, int) else None


def _students_by_group(data: JournalData) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for sid, gid in student_groups(data).items():
        out[gid].append(sid)
    for gid in out:
        out[gid].sort(key=data.name_of)
    return out


def _subjects_of_group(data: JournalData, gid: str, extra: set[str]) -> list[str]:
    subjects = {ta["subject_id"] for ta in data.all("teaching_assignment") if ta["group_id"] == gid}
    subjects |= extra
    return sorted(subjects, key=data.subject_name)


# --------------------------------------------------------------------------- 1


def itogi_uspevaemosti(ctx: ReportContext) -> TabularReport:
    """«Итоги успеваемости»: per group, from the period marks."""
    data = ctx.data
    finals = final_marks(data, ctx.period)
    per_student: dict[str, list[object]] = defaultdict(list)
    for (sid, _subject), mark in finals.items():
        per_student[sid].append(mark)
    report = ctx.report("itogi_uspevaemosti", "Итоги успеваемости")
    table = Table(
        "Итоги успеваемости по группам (классам)",
        [
            "Группа (класс)",
            "Обучающихся",
            "Аттестовано",
            "На «5»",
            "На «4» и «5»",
            "С одной «3»",
            "С «3»",
            "Неуспевающих",
            "Не аттестовано",
            "Успеваемость, %",
            "Качество, %",
        ],
    )
    totals = Counter[str]()
    groups = _students_by_group(data)
    for g in data.groups_sorted():
        students = groups.get(g["id"], [])
        if not students:
            continue
        cats = Counter(category(per_student.get(sid, [])) for sid in students)  # type: ignore[arg-type]
        n = len(students)
        attested = n - cats["not_attested"]
        threes = cats["one_three"] + cats["satisfactory"]
        row: list[Cell] = [
            g["name"],
            n,
            attested,
            cats["excellent"],
            cats["good"],
            cats["one_three"],
            threes,
            cats["failing"],
            cats["not_attested"],
            pct(attested - cats["failing"], n),
            pct(cats["excellent"] + cats["good"], n),
        ]
        table.rows.append(row)
        totals.update({"n": n, "attested": attested, "threes": threes, **cats})
    table.totals = [
        "Итого",
        totals["n"],
        totals["attested"],
        totals["excellent"],
        totals["good"],
        totals["one_three"],
        totals["threes"],
        totals["failing"],
        totals["not_attested"],
        pct(totals["attested"] - totals["failing"], totals["n"]),
        pct(totals["excellent"] + totals["good"], totals["n"]),
    ]
    report.tables.append(table)
    report.notes.append(
        "Успеваемость — доля обучающихся без неудовлетворительных отметок и «н/а»; "
        "качество — доля обучающихся на «4» и «5». Считается по отметкам за период."
    )
    return report


# --------------------------------------------------------------------------- 2


def _absences_in(data: JournalData, period: ReportPeriod) -> list[dict[str, Any]]:
    return [a for a in data.all("absence") if period.contains(a["date"])]


def itogi_poseshchaemosti(ctx: ReportContext) -> TabularReport:
    """«Итоги посещаемости»: per group, missed lessons by reason."""
    data = ctx.data
    groups = _students_by_group(data)
    member = student_groups(data)
    lessons = data.kind("lesson")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for a in _absences_in(data, ctx.period):
        gid = member.get(str(a["student_id"]))
        lesson = lessons.get(str(a.get("lesson_id") or ""))
        if lesson is not None:
            gid = lesson["group_id"]
        if gid is None:
            continue
        kind = absence_kind(a)
        c = counts[gid]
        if kind == "late":
            c["late"] += 1
            continue
        c["missed"] += 1
        c["hours"] += int(lesson_hours(lesson))
        c[kind] += 1
        if kind == "illness":
            c["valid"] += 1
    given = Counter(
        lesson["group_id"] for lesson in data.all("lesson") if ctx.period.contains(lesson["date"])
    )
    report = ctx.report("itogi_poseshchaemosti", "Итоги посещаемости")
    table = Table(
        "Пропуски уроков по группам (классам)",
        [
            "Группа (класс)",
            "Обучающихся",
            "Проведено уроков",
            "Пропущено уроков",
            "Пропущено часов",
            "По уважительной причине",
            "В т. ч. по болезни",
            "Без уважительной причины",
            "Причина не указана",
            "Опозданий",
            "Пропущено уроков на одного обучающегося",
        ],
    )
    total = Counter[str]()
    for g in data.groups_sorted():
        n = len(groups.get(g["id"], []))
        c = counts.get(g["id"], Counter())
        if not n and not c:
            continue
        table.rows.append(
            [
                g["name"],
                n,
                given.get(g["id"], 0),
                c["missed"],
                c["hours"],
                c["valid"],
                c["illness"],
                c["invalid"],
                c["unset"],
                c["late"],
                round(c["missed"] / n, 1) if n else None,
            ]
        )
        total.update(c)
        total["n"] += n
        total["given"] += given.get(g["id"], 0)
    table.totals = [
        "Итого",
        total["n"],
        total["given"],
        total["missed"],
        total["hours"],
        total["valid"],
        total["illness"],
        total["invalid"],
        total["unset"],
        total["late"],
        round(total["missed"] / total["n"], 1) if total["n"] else None,
    ]
    report.tables.append(table)
    return report


# --------------------------------------------------------------------------- 3


def neuspevaemost_po_disciplinam(ctx: ReportContext) -> TabularReport:
    """«Неуспеваемость по дисциплинам»: subjects with the most failing period marks first."""
    data = ctx.data
    finals = final_marks(data, ctx.period)
    member = student_groups(data)
    per_subject: dict[str, list[tuple[str, object]]] = defaultdict(list)
    for (sid, subject), mark in finals.items():
        per_subject[subject].append((sid, mark))
    rows: list[list[Any]] = []
    for subject, items in per_subject.items():
        failing = [sid for sid, mark in items if is_failing(mark)]  # type: ignore[arg-type]
        groups = sorted({data.group_name(member.get(sid)) for sid in failing})
        rows.append(
            [
                data.subject_name(subject),
                len(items),
                len(failing),
                pct(len(failing), len(items)),
                ", ".join(groups) or "—",
            ]
        )
    rows.sort(key=lambda r: (-float(r[3] or 0), -int(r[2]), str(r[0])))
    report = ctx.report("neuspevaemost_po_disciplinam", "Неуспеваемость по дисциплинам")
    report.tables.append(
        Table(
            "Дисциплины с наибольшими показателями неуспеваемости",
            [
                "Дисциплина",
                "Отметок за период",
                "Неудовлетворительных и «н/а»",
                "Неуспеваемость, %",
                "Группы",
            ],
            rows,
        )
    )
    return report


# --------------------------------------------------------------------------- 4


def svodnaya_vedomost_uspevaemosti(ctx: ReportContext) -> TabularReport:
    """«Сводная ведомость успеваемости»: students × subjects of each group, period marks."""
    data = ctx.data
    finals = final_marks(data, ctx.period)
    by_student: dict[str, dict[str, object]] = defaultdict(dict)
    for (sid, subject), mark in finals.items():
        by_student[sid][subject] = mark
    report = ctx.report("svodnaya_vedomost_uspevaemosti", "Сводная ведомость успеваемости")
    for g in data.groups_sorted():
        students = _students_by_group(data).get(g["id"], [])
        if not students:
            continue
        subjects = _subjects_of_group(
            data, g["id"], {s for sid in students for s in by_student.get(sid, {})}
        )
        table = Table(
            f"Группа (класс) {g['name']}",
            ["№", "Обучающийся", *[data.subject_name(s) for s in subjects], "Средний балл"],
            landscape=len(subjects) > 6,
        )
        for i, sid in enumerate(students, start=1):
            marks = [by_student.get(sid, {}).get(s) for s in subjects]
            numeric = [m for m in marks if isinstance(m, int)]
            table.rows.append(
                [
                    i,
                    data.name_of(sid),
                    *[_grade_text(m) for m in marks],
                    round(sum(numeric) / len(numeric), 2) if numeric else None,
                ]
            )
        report.tables.append(table)
    return report


# --------------------------------------------------------------------------- 5


def svodnaya_vedomost_poseshchaemosti(ctx: ReportContext) -> TabularReport:
    """«Сводная ведомость учёта посещаемости»: students of each group, missed lessons by reason."""
    data = ctx.data
    per: dict[str, Counter[str]] = defaultdict(Counter)
    lessons = data.kind("lesson")
    for a in _absences_in(data, ctx.period):
        kind = absence_kind(a)
        c = per[str(a["student_id"])]
        if kind == "late":
            c["late"] += 1
            continue
        c["missed"] += 1
        c["hours"] += int(lesson_hours(lessons.get(str(a.get("lesson_id") or ""))))
        c[kind] += 1
    report = ctx.report("svodnaya_vedomost_poseshchaemosti", "Сводная ведомость учёта посещаемости")
    for g in data.groups_sorted():
        students = _students_by_group(data).get(g["id"], [])
        if not students:
            continue
        table = Table(
            f"Группа (класс) {g['name']}",
            [
                "№",
                "Обучающийся",
                "Пропущено уроков",
                "Часов",
                "Уважительная",
                "Болезнь",
                "Неуважительная",
                "Не указана",
                "Опозданий",
            ],
        )
        tot = Counter[str]()
        for i, sid in enumerate(students, start=1):
            c = per.get(sid, Counter())
            tot.update(c)
            table.rows.append(
                [
                    i,
                    data.name_of(sid),
                    c["missed"],
                    c["hours"],
                    c["valid"],
                    c["illness"],
                    c["invalid"],
                    c["unset"],
                    c["late"],
                ]
            )
        table.totals = [
            "",
            "Итого",
            tot["missed"],
            tot["hours"],
            tot["valid"],
            tot["illness"],
            tot["invalid"],
            tot["unset"],
            tot["late"],
        ]
        report.tables.append(table)
    return report


# --------------------------------------------------------------------------- 6, 13


def _active_on(data: JournalData, day: dt.date) -> Counter[str]:
    c = Counter[str]()
    for e in data.all("enrolment"):
        started = e["starts_on"] is None or e["starts_on"] <= day
        active = started and (e["ends_on"] is None or e["ends_on"] >= day)
        if active and (e["status"] in ("studying", "academic_leave") or e["ends_on"] is not None):
            c[e["group_id"]] += 1
    return c


def svodnaya_vedomost_dvizheniya(ctx: ReportContext) -> TabularReport:
    """«Сводная ведомость движения учащихся»: per group, at the start, in, out, at the end."""
    data, period = ctx.data, ctx.period
    at_start = _active_on(data, period.start - dt.timedelta(days=1))
    at_end = _active_on(data, period.end)
    moves: dict[str, Counter[str]] = defaultdict(Counter)
    member = student_groups(data)
    for o in data.all("movement_order"):
        if not period.contains(o["effective_date"]):
            continue
        kind = o["movement"]
        src_group = o.get("from_group_id") or member.get(o["student_id"])
        if kind == "enrolment" and o.get("to_group_id"):
            moves[o["to_group_id"]]["in"] += 1
        elif kind == "transfer":
            if o.get("from_group_id"):
                moves[o["from_group_id"]]["transfer_out"] += 1
            if o.get("to_group_id"):
                moves[o["to_group_id"]]["transfer_in"] += 1
        elif kind in ("expulsion", "graduation") and src_group:
            moves[src_group]["out"] += 1
        elif kind == "academic_leave" and src_group:
            moves[src_group]["leave"] += 1
    report = ctx.report("svodnaya_vedomost_dvizheniya", "Сводная ведомость движения учащихся")
    table = Table(
        "Движение обучающихся по группам (классам)",
        [
            "Группа (класс)",
            "На начало периода",
            "Прибыло",
            "Переведено в группу",
            "Выбыло",
            "Переведено из группы",
            "Академический отпуск",
            "На конец периода",
        ],
    )
    tot = Counter[str]()
    for g in data.groups_sorted():
        gid = g["id"]
        m = moves.get(gid, Counter())
        row = [
            g["name"],
            at_start.get(gid, 0),
            m["in"],
            m["transfer_in"],
            m["out"],
            m["transfer_out"],
            m["leave"],
            at_end.get(gid, 0),
        ]
        table.rows.append(row)
        tot.update({"start": at_start.get(gid, 0), "end": at_end.get(gid, 0), **m})
    table.totals = [
        "Итого",
        tot["start"],
        tot["in"],
        tot["transfer_in"],
        tot["out"],
        tot["transfer_out"],
        tot["leave"],
        tot["end"],
    ]
    report.tables.append(table)
    return report


def dinamika_dvizheniya(ctx: ReportContext) -> TabularReport:
    """«Динамика движения обучающихся»: month by month, orders by kind and the contingent."""
    data, period = ctx.data, ctx.period
    per_month: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for o in data.all("movement_order"):
        day = o["effective_date"]
        if period.contains(day):
            per_month[(day.year, day.month)][o["movement"]] += 1
    report = ctx.report("dinamika_dvizheniya", "Динамика движения обучающихся")
    table = Table(
        "Движение по месяцам",
        [
            "Месяц",
            "Зачислено",
            "Отчислено",
            "Выпуск",
            "Переводы между группами",
            "Академический отпуск",
            "Выход из отпуска",
            "Контингент на конец месяца",
        ],
    )
    for year, month in period.months():
        c = per_month.get((year, month), Counter())
        end = min(period.end, dt.date(year, month, calendar.monthrange(year, month)[1]))
        total = sum(_active_on(data, end).values())
        table.rows.append(
            [
                f"{MONTHS_RU[month]} {year}",
                c["enrolment"],
                c["expulsion"],
                c["graduation"],
                c["transfer"],
                c["academic_leave"],
                c["return"],
                total,
            ]
        )
    report.tables.append(table)
    return report


# --------------------------------------------------------------------------- 7, 8


def _hours_tables(ctx: ReportContext, by_teacher: bool) -> list[Table]:
    data = ctx.data
    tables = []
    for year, month in ctx.period.months():
        mp = month_period(year, month)
        days = calendar.monthrange(year, month)[1]
        cells: dict[tuple[str, str, str], list[float]] = {}
        for lesson in data.all("lesson"):
            if not (mp.contains(lesson["date"]) and ctx.period.contains(lesson["date"])):
                continue
            key = (lesson.get("teacher_id") or "", lesson["group_id"], lesson["subject_id"])
            cells.setdefault(key, [0.0] * days)[lesson["date"].day - 1] += lesson_hours(lesson)
        if not cells:
            continue
        if by_teacher:
            title = f"Учёт часов преподавателя № 1 — {MONTHS_RU[month]} {year} г."
            head = ["Преподаватель", "Группа", "Дисциплина"]
            keyed = sorted(
                cells.items(),
                key=lambda kv: (
                    data.name_of(kv[0][0]),
                    data.group_name(kv[0][1]),
                    data.subject_name(kv[0][2]),
                ),
            )
        else:
            title = f"Учёт часов преподавателя № 2 — {MONTHS_RU[month]} {year} г."
            head = ["Группа", "Дисциплина", "Преподаватель"]
            keyed = sorted(
                cells.items(),
                key=lambda kv: (
                    data.group_name(kv[0][1]),
                    data.subject_name(kv[0][2]),
                    data.name_of(kv[0][0]),
                ),
            )
        table = Table(
            title, [*head, *[str(d) for d in range(1, days + 1)], "Итого часов"], landscape=True
        )
        day_totals = [0.0] * days
        for (teacher, group, subject), hours in keyed:
            names = [
                data.name_of(teacher, short=True),
                data.group_name(group),
                data.subject_name(subject),
            ]
            if not by_teacher:
                names = [names[1], names[2], names[0]]
            table.rows.append([*names, *[h or None for h in hours], sum(hours)])
            day_totals = [a + b for a, b in zip(day_totals, hours, strict=True)]
        table.totals = ["Итого", "", "", *[h or None for h in day_totals], sum(day_totals)]
        tables.append(table)
    return tables


def uchet_chasov_1(ctx: ReportContext) -> TabularReport:
    """«Учёт часов преподавателя № 1»: each teacher's hours by day of the month."""
    report = ctx.report("uchet_chasov_1", "Учёт часов преподавателя № 1")
    report.tables.extend(_hours_tables(ctx, by_teacher=True))
    return report


def uchet_chasov_2(ctx: ReportContext) -> TabularReport:
    """«Учёт часов преподавателя № 2»: each group's hours by subject and day of the month."""
    report = ctx.report("uchet_chasov_2", "Учёт часов преподавателя № 2")
    report.tables.extend(_hours_tables(ctx, by_teacher=False))
    return report


# --------------------------------------------------------------------------- 9, 10


def predvaritelnaya_uspevaemost(ctx: ReportContext) -> TabularReport:
    """«Предварительная успеваемость»: the average of current marks and the mark it predicts."""
    data = ctx.data
    avgs = current_averages(data, ctx.period)
    report = ctx.report("predvaritelnaya_uspevaemost", "Предварительная успеваемость")
    report.notes.append(
        "Средневзвешенный балл текущих отметок за период; «2» в прогнозе — средний балл ниже 2,5."
    )
    for g in data.groups_sorted():
        students = _students_by_group(data).get(g["id"], [])
        if not students:
            continue
        subjects = _subjects_of_group(data, g["id"], {s for (sid, s) in avgs if sid in students})
        table = Table(
            f"Группа (класс) {g['name']}",
            ["№", "Обучающийся", *[data.subject_name(s) for s in subjects], "Прогноз «2»"],
            landscape=len(subjects) > 6,
        )
        for i, sid in enumerate(students, start=1):
            values = [avgs.get((sid, s)) for s in subjects]
            risks = sum(1 for v in values if v is not None and v[0] < 2.5)
            table.rows.append([i, data.name_of(sid), *[v[0] if v else None for v in values], risks])
        report.tables.append(table)
    return report


def reiting_uspeshnosti(ctx: ReportContext) -> TabularReport:
    """«Рейтинг успешности»: students ranked by their average current mark over all subjects."""
    data = ctx.data
    avgs = current_averages(data, ctx.period)
    member = student_groups(data)
    per: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (sid, _s), (avg, n) in avgs.items():
        per[sid][0] += avg * n
        per[sid][1] += n
    ranked = sorted(
        (
            (sid, round(v[0] / v[1], 2), int(v[1]))
            for sid, v in per.items()
            if v[1] and sid in member
        ),
        key=lambda t: (-t[1], data.name_of(t[0])),
    )
    report = ctx.report("reiting_uspeshnosti", "Рейтинг успешности")
    table = Table(
        "Рейтинг обучающихся по среднему баллу",
        ["Место", "Обучающийся", "Группа (класс)", "Средний балл", "Отметок"],
    )
    place, last = 0, None
    for i, (sid, avg, n) in enumerate(ranked, start=1):
        if avg != last:
            place, last = i, avg
        table.rows.append([place, data.name_of(sid), data.group_name(member.get(sid)), avg, n])
    report.tables.append(table)
    return report


# --------------------------------------------------------------------------- 11, 12


def poseshchaemost_po_mesyacam(ctx: ReportContext) -> TabularReport:
    """«Отчёт о посещаемости класса (по месяцам)»: missed lessons of each student by month."""
    data, period = ctx.data, ctx.period
    months = period.months()
    per: dict[str, Counter[tuple[int, int]]] = defaultdict(Counter)
    for a in _absences_in(data, period):
        if absence_kind(a) == "late":
            continue
        per[str(a["student_id"])][(a["date"].year, a["date"].month)] += 1
    report = ctx.report("poseshchaemost_po_mesyacam", "Отчёт о посещаемости класса (по месяцам)")
    for g in data.groups_sorted():
        students = _students_by_group(data).get(g["id"], [])
        if not students:
            continue
        table = Table(
            f"Группа (класс) {g['name']}: пропущено уроков",
            ["№", "Обучающийся", *[f"{MONTHS_RU[m]} {y}" for y, m in months], "Итого"],
        )
        totals = [0] * len(months)
        for i, sid in enumerate(students, start=1):
            counts = [per.get(sid, Counter())[ym] for ym in months]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            table.rows.append([i, data.name_of(sid), *counts, sum(counts)])
        table.totals = ["", "Итого", *totals, sum(totals)]
        report.tables.append(table)
    return report


def napolnyaemost_klassov(ctx: ReportContext) -> TabularReport:
    """«Наполняемость классов»: students per group, by sex, with the class teacher."""
    data = ctx.data
    groups = _students_by_group(data)
    on_leave = {e["student_id"] for e in data.all("enrolment") if e["status"] == "academic_leave"}
    persons = data.kind("person")
    report = ctx.report(
        "napolnyaemost_klassov", "Наполняемость классов", f"На {ctx.period.end:%d.%m.%Y}"
    )
    table = Table(
        "Наполняемость групп (классов)",
        [
            "Группа (класс)",
            "Курс (класс)",
            "Классный руководитель (куратор)",
            "Обучающихся",
            "Юношей",
            "Девушек",
            "В академическом отпуске",
        ],
    )
    tot = Counter[str]()
    for g in data.groups_sorted():
        students = groups.get(g["id"], [])
        sexes = Counter(str((persons.get(sid) or {}).get("sex")) for sid in students)
        leave = sum(1 for sid in students if sid in on_leave)
        table.rows.append(
            [
                g["name"],
                g.get("grade") or g.get("course"),
                data.name_of(g.get("curator_id"), short=True) if g.get("curator_id") else "—",
                len(students),
                sexes["male"],
                sexes["female"],
                leave,
            ]
        )
        tot.update({"n": len(students), "m": sexes["male"], "f": sexes["female"], "leave": leave})
    table.totals = ["Итого", "", "", tot["n"], tot["m"], tot["f"], tot["leave"]]
    report.tables.append(table)
    return report


# --------------------------------------------------------------------------- 14


def aktivnost_polzovateley(ctx: ReportContext) -> TabularReport:
    """«Активность пользователей»: entries each teacher made in the period.

    An entry's moment is the platform's own timestamp where it gives one, else
    the moment of the sync that first saw it (policy-catalog.md §8): counted
    in SQL over the version tables, one grouped query per kind.
    """
    data, period = ctx.data, ctx.period
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    last: dict[str, dt.datetime] = {}
    if ctx.engine is not None:
        src = data.source
        lesson = version_table("lesson")
        queries = {
            "marks": (version_table("mark"), version_table("mark").c.f_teacher_id, None),
            "lessons": (lesson, lesson.c.f_teacher_id, None),
            "homework": (version_table("homework"), None, version_table("homework").c.f_lesson_id),
            "absences": (version_table("absence"), None, version_table("absence").c.f_lesson_id),
        }
        with ctx.engine.connect() as conn:
            for label, (table, teacher_col, lesson_col) in queries.items():
                moment = func.coalesce(table.c.f_entered_at, sync_run.c.observed_at)
                base = table.join(sync_run, sync_run.c.id == table.c.first_seen_run_id)
                if teacher_col is None:
                    ls = lesson.alias("ls")
                    base = base.join(
                        ls,
                        and_(
                            ls.c.platform == table.c.platform,
                            ls.c.deployment == table.c.deployment,
                            ls.c.external_id == lesson_col,
                            ls.c.superseded_run_id.is_(None),
                        ),
                    )
                    teacher = ls.c.f_teacher_id
                else:
                    teacher = teacher_col
                query = (
                    select(teacher, func.count(), func.max(moment))
                    .select_from(base)
                    .where(
                        table.c.platform == src.platform,
                        table.c.deployment == src.deployment,
                        or_(
                            and_(
                                table.c.f_entered_at.is_not(None),
                                table.c.f_entered_at >= start,
                                table.c.f_entered_at < end,
                            ),
                            and_(
                                table.c.f_entered_at.is_(None),
                                sync_run.c.observed_at >= start,
                                sync_run.c.observed_at < end,
                            ),
                        ),
                    )
                    .group_by(teacher)
                )
                for teacher_id, n, latest in conn.execute(query):
                    if teacher_id is None:
                        continue
                    counts[teacher_id][label] += int(n)
                    if latest is not None:
                        if isinstance(latest, str):
                            latest = dt.datetime.fromisoformat(latest)
                        if latest.tzinfo is None:
                            latest = latest.replace(tzinfo=dt.UTC)
                        last[teacher_id] = max(last.get(teacher_id, latest), latest)
    teachers = {ta["teacher_id"] for ta in data.all("teaching_assignment")} | set(counts)
    rows = []
    for tid in teachers:
        c = counts.get(tid, Counter())
        total = c["lessons"] + c["homework"] + c["marks"] + c["absences"]
        person = data.kind("person").get(tid) or {}
        rows.append(
            [
                data.name_of(tid),
                person.get("position") or "учитель",
                c["lessons"],
                c["homework"],
                c["marks"],
                c["absences"],
                total,
                last[tid].strftime("%d.%m.%Y %H:%M") if tid in last else "нет записей",
            ]
        )
    rows.sort(key=lambda r: (int(r[6]), str(r[0])))
    report = ctx.report("aktivnost_polzovateley", "Активность пользователей")
    report.notes.append(
        "Записи, сделанные за период (время записи из платформы, а где его нет — время синхронизации, "
        "впервые увидевшей запись). Сначала наименее активные."
    )
    report.tables.append(
        Table(
            "Записи в журнале по пользователям",
            [
                "Пользователь",
                "Должность",
                "Уроки (темы)",
                "Домашние задания",
                "Отметки",
                "Пропуски",
                "Всего записей",
                "Последняя запись (UTC)",
            ],
            rows,
        )
    )
    return report


REGULATION_REPORTS: dict[str, tuple[str, Builder]] = {
    name: (REGULATION_TITLES[name], builder)
    for name, builder in {
        "itogi_uspevaemosti": itogi_uspevaemosti,
        "itogi_poseshchaemosti": itogi_poseshchaemosti,
        "neuspevaemost_po_disciplinam": neuspevaemost_po_disciplinam,
        "svodnaya_vedomost_uspevaemosti": svodnaya_vedomost_uspevaemosti,
        "svodnaya_vedomost_poseshchaemosti": svodnaya_vedomost_poseshchaemosti,
        "svodnaya_vedomost_dvizheniya": svodnaya_vedomost_dvizheniya,
        "uchet_chasov_1": uchet_chasov_1,
        "uchet_chasov_2": uchet_chasov_2,
        "predvaritelnaya_uspevaemost": predvaritelnaya_uspevaemost,
        "reiting_uspeshnosti": reiting_uspeshnosti,
        "poseshchaemost_po_mesyacam": poseshchaemost_po_mesyacam,
        "napolnyaemost_klassov": napolnyaemost_klassov,
        "dinamika_dvizheniya": dinamika_dvizheniya,
        "aktivnost_polzovateley": aktivnost_polzovateley,
    }.items()
}
