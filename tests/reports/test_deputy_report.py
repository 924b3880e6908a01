"""The deputy's report: summary first, trend, causes, open before resolved; PDF text and pages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine

from local_store.reconcile import reconcile
from reports.deputy import DeputyItem, build_report, deputy_report_from_store, write_deputy_report
from tests.reconcile.worlds import MOMENT, TODAY, contingent_world, ingest_world

NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)


def item(
    rule: str,
    days_ago: float,
    *,
    resolved_days_ago: float | None = None,
    who: str = "Котова О. И.",
    group: str = "ИС-21",
    cause: str | None = None,
) -> DeputyItem:
    return DeputyItem(
        origin="нарушение",
        id=f"{rule}-{days_ago}-{who}",
        rule_id=rule,
        rule_title={
            "lesson.topic.deadline": "Тема урока в срок",
            "marks.deadline": "Отметки в срок",
        }.get(rule, rule),
        message=f"{rule}: пример",
        responsible=who,
        group=group,
        since=NOW - dt.timedelta(days=days_ago),
        evidence=("впервые увидела синхронизация: 10.10.2026 18:00",),
        how_to_fix="Внести тему урока",
        clause="п. 4.6 положения об ЭЖ",
        status="resolved" if resolved_days_ago is not None else "open",
        resolved_at=NOW - dt.timedelta(days=resolved_days_ago)
        if resolved_days_ago is not None
        else None,
        cause=cause,
    )


def test_summary_counts_trend_and_ordering() -> None:
    items = [
        item("lesson.topic.deadline", 10),  # open for more than a week
        item("lesson.topic.deadline", 2),  # new
        item("lesson.topic.deadline", 1, who="Ли В. С.", group="ТМ-11"),  # new
        item("marks.deadline", 9, resolved_days_ago=3),  # open a week ago, resolved since
        item("marks.deadline", 30, resolved_days_ago=20),  # long resolved: not shown
    ]
    report = build_report(items, institution="ТПТ", now=NOW)
    assert len(report.open_items) == 3 and report.open_week_ago == 2 and report.trend == 1
    assert report.new_this_week == 2
    assert [i.rule_id for i in report.resolved_items] == ["marks.deadline"]
    topic = next(r for r in report.rules if r.rule_id == "lesson.topic.deadline")
    assert (topic.open, topic.new, topic.resolved, topic.open_week_ago) == (3, 2, 0, 1)
    assert report.by_responsible[0][0] == "Котова О. И." and len(report.by_responsible[0][1]) == 2
    assert [g for g, _ in report.by_group] == ["ИС-21", "ТМ-11"]


def test_deputy_report_from_a_reconciled_store(engine: Engine, tmp_path: Path) -> None:
    week_ago = MOMENT - dt.timedelta(days=8)
    ingest_world(engine)
    reconcile(engine, at=week_ago, today=TODAY - dt.timedelta(days=8))
    fixed = contingent_world()
    fixed["views"] = [
        v for v in fixed["views"] if not (v["id"] == "s28" and v["field"] == "birth_date")
    ]
    ingest_world(engine, fixed)
    reconcile(engine, at=MOMENT, today=TODAY)

    report = deputy_report_from_store(engine, now=MOMENT + dt.timedelta(hours=1))
    assert (
        len(report.resolved_items) == 1
        and report.resolved_items[0].rule_id == "person.data_mismatch"
    )
    assert report.causes[0][1] == 50 and "45-к" in report.causes[0][0], (
        "the order explains 50 items"
    )
    assert report.open_week_ago == len(report.open_items) + 1 and report.trend == -1
    # a cause is why something broke, never the title of the rule it broke
    titles = {i.rule_title for i in report.open_items}
    assert not {c for c, _ in report.causes} & titles
    alone = sum(1 for i in report.open_items if not i.cause)
    assert alone and ("Без общей причины: каждое исправляется отдельно", alone) in report.causes
    # tpt's п. 4.8 names the head of department for the registry, not the secretary
    registry = [
        i
        for i in report.open_items
        if i.origin == "расхождение" and not i.rule_id.startswith(("epgu.", "e_uslugi."))
    ]
    assert registry and {i.responsible for i in registry} == {"заведующий отделением"}
    paths = write_deputy_report(report, tmp_path)

    pages = [p.extract_text() for p in PdfReader(paths["pdf"]).pages]
    assert len(pages) >= 2
    first = pages[0]
    assert "Отчёт заместителю директора" in first
    assert first.index("Сводка") < first.index("По правилам")
    assert "Открыто сейчас" in first and "Устранено за неделю" in first
    text = "\n".join(pages)
    assert text.index("Подробно по правилам") < text.index("Устранено за последнюю неделю")
    assert "Приказ № 45-к от 01.10.2026 (перевод) не внесён в журнал" in text
    assert "п. 4.8 положения об ЭЖ" in text, "tpt's clause for contingent.registry.match"
    assert "реестр контингента: отчислен" in text
    assert ", запись " not in text and not re.search(r"\d{4}-\d\d-\d\d", text)

    wb = load_workbook(paths["xlsx"])
    assert wb.sheetnames[:3] == ["Сводка по правилам", "Сводка по причинам", "Открытые"]
    ws = wb["Открытые"]
    assert ws.freeze_panes is not None
    assert ws.max_row - 6 == len(report.open_items)


def test_deputy_report_reads_the_policy_engines_violations(engine: Engine, tmp_path: Path) -> None:
    import re

    from canonical.base import Platform
    from emulators.scenario.generate import build
    from emulators.scenario.world import World, parse_moment
    from local_store.ingest import Snapshot, ingest
    from local_store.runs import RunStatus, finish_run, start_run
    from policies.engine import run_check
    from policies.profiles import load_profile
    from tests.reconcile.test_generated_scenarios import JOURNAL_KINDS, ingest_generated

    generated = build("tpt", 150, 3, 1)
    world = World.from_dict(generated.scenario)
    moment = parse_moment(world.meta["ends_at"])
    ingest_generated(engine, generated.scenario, "poo")
    state = world.state_as_of(moment, "poo")
    skip = {*JOURNAL_KINDS, "expected_enrolment", "epgu_request"}
    kinds = tuple(k for k in world.kinds() if k not in skip)
    records = [r for k in kinds for r in state.to_records(k, Platform.POO, "poo.test")]
    run_id = start_run(engine, "poo", deployment="poo.test", observed_at=moment)
    ingest(engine, run_id, Snapshot.of("poo:poo.test:journal", records, kinds))
    finish_run(engine, run_id, RunStatus.SUCCEEDED)
    reconcile(engine, at=moment)
    run_check(engine, load_profile("tpt"), full=True)

    report = deputy_report_from_store(engine, now=moment)
    violations = [i for i in report.open_items if i.origin == "нарушение"]
    discrepancies = [i for i in report.open_items if i.origin == "расхождение"]
    assert violations and discrepancies
    teacher_items = [i for i in violations if i.rule_id.startswith("lesson.")]
    assert teacher_items
    for i in teacher_items:
        assert i.rule_title != i.rule_id and re.search("[а-я]", i.rule_title), "Russian title"
        assert i.clause.startswith("п. 4.6"), i.clause
        assert re.fullmatch(r"[А-ЯЁ][а-яё-]+ [А-ЯЁ]\. [А-ЯЁ]\.", i.responsible), i.responsible
        assert i.group and not i.group.startswith("g"), "group named, not an id"
        # what and whom: the subject, the lesson's number, date and (where known) time,
        # the teacher by name
        assert re.match(
            r"[А-ЯЁA-Z][^;]*, (\d+-й )?урок \d\d\.\d\d\.\d{4}(, \d\d:\d\d(–\d\d:\d\d)?)?; "
            r"преподаватель [А-ЯЁ][а-яё-]+ [А-ЯЁ]\.",
            i.about,
        ), i.about
    students = [i for i in violations if i.rule_id == "attendance.deadline"]
    assert all(re.search(r"обучающийся [А-ЯЁ][а-яё-]+ [А-ЯЁ][а-яё]+", i.about) for i in students)
    assert any("синхронизация" in line for i in violations for line in i.evidence)
    names = [who for who, _ in report.by_responsible]
    assert len(names) == len(set(names)), "one row per person in «by responsible»"

    pdf = write_deputy_report(report, tmp_path, ("pdf",))["pdf"]
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert teacher_items[0].rule_title.split()[0] in text and "Контингент журнала" in text
    assert teacher_items[0].about.split(";")[0] in text.replace("\n", " ")
