"""«Прогноз успеваемости и посещаемости» and the notice to a student and the parents.

The figures come from ``policies.forecast``; here they are only laid out: one table
per group (students across subjects), the totals by group, department and
speciality, the students at risk with the reason, and one page per student for the
family in the words of the regulation's clause (usolye 7.2).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, union

from local_store.runs import data_time
from local_store.schema import version_table
from policies.forecast import (
    EXEMPT,
    MARKS,
    NOT_ATTESTED,
    Forecast,
    ForecastParams,
    StudentForecast,
    SubjectForecast,
    compute_forecast,
    current_period,
    forecast_params,
)
from policies.profiles import Profile, load_profile
from reports.data import JournalData, ReportError, Source, load_journal, pick_source
from reports.render import render_html, write_html, write_pdf, write_tabular
from reports.tabular import Cell, Table, TabularReport, pct

LEVEL_RU = {"high": "высокий риск", "risk": "риск", "caution": "внимание", "": ""}
HEADLINE = {
    "high": "Высокий риск",
    "risk": "Зона риска",
    "caution": "Требует внимания",
    "": "Требует внимания",
}
"""The first words a family reads on the notice, by the student's level."""
KINDS = ("institution", "period", "person", "group", "subject")
MODEL_NOTE = (
    "Как считается прогноз: отметка за период — средневзвешенный балл текущих отметок периода, "
    "округлённый по правилу организации (с {round_from} балла вверх: {cuts}). Уровень "
    "обучающегося — его средний балл за период; оставшиеся занятия периода дают столько же "
    "отметок, сколько давали до сих пор. «Уверенность» — вероятность прогнозной отметки при "
    "обычном разбросе отметок обучающегося. Посещаемость: доля пропущенных занятий "
    "(опоздания и освобождения не считаются пропусками)."
)


@dataclass
class ForecastBundle:
    data: JournalData
    forecast: Forecast
    institution: str

    @property
    def params(self) -> ForecastParams:
        return self.forecast.params

    def subject_name(self, sid: str) -> str:
        return self.data.subject_name(sid)


def load_forecast(
    engine: Engine,
    as_of: dt.date | None = None,
    source: str | None = None,
    profile_id: str | None = None,
) -> ForecastBundle:
    """The forecast of the period holding ``as_of`` for one journal source of the store.

    Without ``as_of``, the day the data shows (the newest observation, in the
    institution's time zone), never the wall clock."""
    chosen: Source = pick_source(engine, source)
    data = load_journal(engine, chosen, KINDS)
    pid = profile_id or data.profile()
    if not pid:
        raise ReportError("не известен профиль организации: укажите --profile")
    profile = load_profile(pid)
    if as_of is None:
        moment = data_time(engine)
        if moment is None:
            raise ReportError("в хранилище нет синхронизаций: укажите --as-of")
        as_of = moment.astimezone(ZoneInfo(profile.timezone)).date()
    bundle = _forecast_of(engine, data, profile, as_of)
    if bundle is None:
        raise ReportError(
            f"на {as_of:%d.%m.%Y} в журнале нет отчётного периода (семестра, четверти)"
        )
    return bundle


def forecast_for_bundle(engine: Engine, data: JournalData, as_of: dt.date) -> TabularReport | None:
    """The forecast report for ``sverka report all``: when the profile asks for a forecast
    (its ``[forecast]`` table) and ``as_of`` falls in a reporting period."""
    pid = data.profile()
    if not pid:
        return None
    profile = load_profile(pid)
    if not profile.forecast:
        return None
    bundle = _forecast_of(engine, data, profile, as_of)
    return None if bundle is None else forecast_report(bundle)


def _forecast_of(
    engine: Engine, data: JournalData, profile: Profile, as_of: dt.date
) -> ForecastBundle | None:
    params = forecast_params(profile)
    src = data.source
    with engine.connect() as conn:
        period = current_period(conn, src.platform, src.deployment, as_of, params.period_kinds)
        if period is None:
            return None
        forecast = compute_forecast(conn, src.platform, src.deployment, period, as_of, params)
    return ForecastBundle(data, forecast, data.institution_name() or profile.institution)


def _cell(f: SubjectForecast | None) -> Cell:
    if f is None:
        return None
    if f.mark in (NOT_ATTESTED, EXEMPT):
        return f.mark
    return f"{f.mark} ({sure(f.probability)})"


def sure(probability: float) -> str:
    """A probability for people: never «100 %», the model is not that sure."""
    return "более 99 %" if probability >= 0.995 else f"{probability:.0%}".replace("%", " %")


def _students(bundle: ForecastBundle, group_id: str) -> list[StudentForecast]:
    found = [s for s in bundle.forecast.students.values() if s.group_id == group_id]
    return sorted(found, key=lambda s: bundle.data.name_of(s.student_id))


def _group_table(bundle: ForecastBundle, group: dict[str, Any]) -> Table | None:
    students = _students(bundle, group["id"])
    if not students:
        return None
    subjects = sorted(
        {sid for s in students for sid in s.subjects}, key=lambda sid: bundle.subject_name(sid)
    )
    columns = ["Обучающийся", *[bundle.subject_name(s) for s in subjects]]
    columns += ["Пропущено, %", "Риск", "Причина"]
    table = Table(
        f"Группа {group['name']}",
        columns,
        note=" · ".join(x for x in (group.get("department"), group.get("specialty")) if x),
        landscape=True,
    )
    for s in students:
        share = s.missed_share()
        table.rows.append(
            [
                bundle.data.name_of(s.student_id),
                *[_cell(s.subjects.get(sid)) for sid in subjects],
                round(100 * share, 1) if share is not None else None,
                LEVEL_RU[s.level(bundle.params)] or None,
                "; ".join(s.reasons(bundle.params, bundle.subject_name)) or None,
            ]
        )
    return table


def _totals_table(bundle: ForecastBundle, heading: str, title: str, key: str) -> Table:
    """Totals per group, department or speciality: the forecast marks and attendance."""
    groups = {g["id"]: g for g in bundle.data.groups_sorted()}
    buckets: dict[str, list[StudentForecast]] = {}
    for s in bundle.forecast.students.values():
        g = groups.get(s.group_id)
        label = (
            str((g or {}).get(key) or "не указано")
            if key != "name"
            else str((g or {}).get("name") or s.group_id)
        )
        buckets.setdefault(label, []).append(s)
    columns = [title, "Обучающихся", *[f"«{m}»" for m in reversed(MARKS)], "н/а", "осв."]
    columns += ["Успеваемость, %", "Качество, %", "Пропущено, %", "В зоне риска"]
    table = Table(heading, columns)
    every: list[StudentForecast] = []
    for label in sorted(buckets):
        table.rows.append(_totals_row(label, buckets[label], bundle.params))
        every += buckets[label]
    table.totals = _totals_row("Всего", every, bundle.params)
    return table


def _totals_row(label: str, students: list[StudentForecast], params: ForecastParams) -> list[Cell]:
    marks = Counter(f.mark for s in students for f in s.subjects.values())
    total = sum(marks.values())
    passing = sum(marks[str(m)] for m in (3, 4, 5))
    good = sum(marks[str(m)] for m in (4, 5))
    graded = total - marks[EXEMPT]
    held = sum(s.held() for s in students)
    missed = sum(s.missed() for s in students)
    risky = sum(1 for s in students if s.level(params) in ("risk", "high"))
    return [
        label,
        len(students),
        *[marks[str(m)] for m in reversed(MARKS)],
        marks[NOT_ATTESTED],
        marks[EXEMPT],
        pct(passing, graded),
        pct(good, graded),
        pct(missed, held),
        risky,
    ]


def _risk_table(bundle: ForecastBundle) -> Table:
    table = Table("Обучающиеся в зоне риска", ["Группа", "Обучающийся", "Уровень", "Причина"])
    order = {"high": 0, "risk": 1, "caution": 2}
    rows = []
    for s in bundle.forecast.students.values():
        level = s.level(bundle.params)
        if not level:
            continue
        rows.append(
            (
                order[level],
                bundle.data.group_name(s.group_id),
                bundle.data.name_of(s.student_id),
                LEVEL_RU[level],
                "; ".join(s.reasons(bundle.params, bundle.subject_name)),
            )
        )
    table.rows = [list(r[1:]) for r in sorted(rows)]
    return table


def forecast_report(bundle: ForecastBundle, generated: dt.datetime | None = None) -> TabularReport:
    f = bundle.forecast
    params = f.params
    report = TabularReport(
        name="prognoz-uspevaemosti",
        title="Прогноз успеваемости и посещаемости",
        subtitle=f"{f.period.name}: на {f.as_of:%d.%m.%Y} (период "
        f"{f.period.starts_on:%d.%m.%Y} – {f.period.ends_on:%d.%m.%Y})",
        institution=bundle.institution,
        generated=generated,
    )
    if params.text:
        report.notes.append(f"Основание: п. {params.clause} положения: «{params.text}»")
    report.notes.append(_model_note(params))
    report.tables.append(_totals_table(bundle, "Прогноз по группам", "Группа", "name"))
    report.tables.append(_totals_table(bundle, "Прогноз по отделениям", "Отделение", "department"))
    report.tables.append(
        _totals_table(bundle, "Прогноз по специальностям", "Специальность", "specialty")
    )
    report.tables.append(_risk_table(bundle))
    for group in bundle.data.groups_sorted():
        table = _group_table(bundle, group)
        if table is not None:
            report.tables.append(table)
    return report


def _model_note(params: ForecastParams) -> str:
    cuts = ", ".join(
        f"«{k}» от {k - 1 + params.round_from:.2f}".replace(".", ",") for k in (3, 4, 5)
    )
    note = MODEL_NOTE.format(round_from=f"{params.round_from:.2f}".replace(".", ","), cuts=cuts)
    if params.prior_marks > 0:
        whose = (
            "его средним баллом по всем дисциплинам"
            if params.prior_from == "student"
            else "средним баллом группы по дисциплине"
        )
        note += (
            f" Средний балл сближен с {whose} (вес — {params.prior_marks:g} отметки): чем "
            "меньше у обучающегося отметок, тем сильнее."
        )
    if params.trend_prior is not None:
        note += " Учитывается, растут отметки обучающегося или снижаются."
    if params.absence_memory is not None or params.absence_prior > 0:
        note += (
            " Пропуски до конца периода оцениваются по последним двум неделям и по "
            "посещаемости группы: болезнь проходит, а начавшиеся прогулы продолжаются."
        )
    note += (
        " Занятий в периоде — по КТП (часы плана на год по доле учебных дней периода), "
        "без КТП — по журналу."
    )
    if params.max_missed_share is not None:
        note += (
            f" «Не аттестован»: пропущено больше {params.max_missed_share:.0%} занятий "
            "периода".replace("%", " %")
            + (
                f" или меньше {params.min_marks} отметок к концу периода."
                if params.min_marks > 1
                else " или нет отметок."
            )
        )
    return note


# --------------------------------------------------------------------------- the notice


def _needed(f: SubjectForecast) -> str:
    if f.mark == NOT_ATTESTED:
        return "получить отметки: без них обучающийся не будет аттестован"
    if f.mark == EXEMPT:
        return "освобождён от занятий"
    if f.fives_to_next is None:
        return "сохранить уровень"
    next_mark = int(f.mark) + 1
    n = f.fives_to_next
    if not f.fives_possible:
        return f"«{next_mark}» уже не достичь"
    word = (
        "оценку"
        if n % 10 == 1 and n != 11
        else "оценки"
        if 2 <= n % 10 <= 4 and n // 10 != 1
        else "оценок"
    )
    return f"ещё {n} {word} «5», чтобы выйти на «{next_mark}»"


def notice_context(bundle: ForecastBundle, student: StudentForecast) -> dict[str, Any]:
    f = bundle.forecast
    subjects = sorted(student.subjects.items(), key=lambda kv: bundle.subject_name(kv[0]))
    share = student.missed_share()
    return {
        "institution": bundle.institution,
        "student": bundle.data.name_of(student.student_id),
        "group": bundle.data.group_name(student.group_id),
        "period": f.period,
        "as_of": f.as_of,
        "params": f.params,
        "level": LEVEL_RU[student.level(f.params)],
        "headline": HEADLINE[student.level(f.params)],
        "planned": sum(s.planned for s in student.subjects.values() if s.mark != EXEMPT),
        "reasons": student.reasons(f.params, bundle.subject_name),
        "missed": student.missed(),
        "held": student.held(),
        "missed_pct": None if share is None else round(100 * share),
        "rows": [
            {
                "subject": bundle.subject_name(sid),
                "mean": None
                if s.current_mean is None
                else f"{s.current_mean:.2f}".replace(".", ","),
                "marks": s.marks_so_far,
                "forecast": {NOT_ATTESTED: "не аттестован", EXEMPT: "освобождён"}.get(
                    s.mark, f"«{s.mark}»"
                ),
                "sure": sure(s.probability) if s.mark not in (NOT_ATTESTED, EXEMPT) else "—",
                "needed": _needed(s),
                "missed": f"{s.missed} из {s.held}",
                "risk": bool(s.risks) or s.mark in ("2", NOT_ATTESTED),
            }
            for sid, s in subjects
        ],
    }


def notices_html(bundle: ForecastBundle, students: list[StudentForecast]) -> str:
    pages = [notice_context(bundle, s) for s in students]
    return render_html("forecast_notice.html.j2", {"pages": pages})


def write_forecast(
    bundle: ForecastBundle,
    out: Path,
    formats: tuple[str, ...] = ("html", "pdf", "xlsx"),
    notices: bool = True,
    group: str | None = None,
) -> dict[str, Path]:
    """The report, and the notices as one PDF per group (a page per student)."""
    paths = write_tabular(forecast_report(bundle), out, formats)
    if not notices:
        return paths
    groups = [g for g in bundle.data.groups_sorted() if group is None or g["name"] == group]
    if group is not None and not groups:
        raise ReportError(f"группа «{group}» не найдена")
    for g in groups:
        students = _students(bundle, g["id"])
        if not students:
            continue
        html = notices_html(bundle, students)
        stem = f"uvedomleniya-{g['name']}"
        paths[f"notices:{g['name']}"] = (
            write_pdf(html, out / f"{stem}.pdf")
            if "pdf" in formats
            else write_html(html, out / f"{stem}.html")
        )
    return paths


# --------------------------------------------------------------------------- the web pages


def teacher_pairs(engine: Engine, bundle: ForecastBundle, person: str) -> set[tuple[str, str]]:
    """(group, subject) pairs a teacher answers for: their teaching assignments, and the
    subjects of the period they gave lessons of (a platform without assignments)."""
    src = bundle.data.source
    f = bundle.forecast
    ta = version_table("teaching_assignment")
    lesson = version_table("lesson")
    query = union(
        select(ta.c.f_group_id, ta.c.f_subject_id).where(
            ta.c.superseded_run_id.is_(None),
            ta.c.platform == src.platform,
            ta.c.deployment == src.deployment,
            ta.c.f_teacher_id == person,
        ),
        select(lesson.c.f_group_id, lesson.c.f_subject_id).where(
            lesson.c.superseded_run_id.is_(None),
            lesson.c.platform == src.platform,
            lesson.c.deployment == src.deployment,
            lesson.c.f_teacher_id == person,
            lesson.c.f_date.between(f.period.starts_on, f.as_of),
        ),
    )
    with engine.connect() as conn:
        return {(str(r[0]), str(r[1])) for r in conn.execute(query)}


def subject_table(bundle: ForecastBundle, group_id: str, subject_id: str) -> Table | None:
    """One group's students in one subject: the forecast, how sure, what is needed and the
    attendance, students at risk first (the teacher's page)."""
    rows: list[tuple[int, str, list[Cell]]] = []
    for s in _students(bundle, group_id):
        f = s.subjects.get(subject_id)
        if f is None:
            continue
        risky = f.mark in ("2", NOT_ATTESTED) or bool(f.risks)
        name = bundle.data.name_of(s.student_id)
        rows.append(
            (
                0 if risky else 1,
                name,
                [
                    name,
                    None if f.current_mean is None else round(f.current_mean, 2),
                    f.marks_so_far,
                    _cell(f),
                    _needed(f),
                    f"{f.missed} из {f.held}",
                    "; ".join(f.risks) or None,
                ],
            )
        )
    if not rows:
        return None
    table = Table(
        f"{bundle.data.group_name(group_id)} — {bundle.subject_name(subject_id)}",
        [
            "Обучающийся",
            "Средний балл",
            "Отметок",
            "Прогноз (уверенность)",
            "Что нужно",
            "Пропущено занятий",
            "Риск",
        ],
    )
    table.rows = [r[2] for r in sorted(rows, key=lambda r: (r[0], r[1]))]
    return table


def teacher_tables(bundle: ForecastBundle, pairs: set[tuple[str, str]]) -> list[Table]:
    """The teacher's own group-subjects only, in group then subject order."""
    order = {g["id"]: i for i, g in enumerate(bundle.data.groups_sorted())}
    tables = []
    for group, subject in sorted(
        pairs, key=lambda p: (order.get(p[0], len(order)), bundle.subject_name(p[1]))
    ):
        table = subject_table(bundle, group, subject)
        if table is not None:
            tables.append(table)
    return tables
