"""``sverka check``, ``sverka violations``, ``sverka approve``: the policy engine's doors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cli.context import SETTINGS
from cli.errors import UserError, user_errors
from reports.titles import ENTITY_RU, profile_timezone, rule_title

console = Console()
JSON_FORMAT = "sverka-violations"
JSON_VERSION = 1
VERDICT_RU = {"violated": "нарушено", "possibly_violated": "возможно нарушено"}


def _profile_id(engine: Any, given: str | None) -> str:
    from sqlalchemy import select

    from local_store.schema import version_table
    from policies.profiles import PROFILE_IDS

    if given:
        return given
    institution = version_table("institution")
    with engine.connect() as conn:
        found = (
            conn.execute(
                select(institution.c.f_profile_id).where(institution.c.superseded_run_id.is_(None))
            )
            .scalars()
            .all()
        )
    ids = sorted({str(p) for p in found if p})
    if len(ids) == 1:
        return ids[0]
    raise UserError("не указан профиль: задайте --profile (" + ", ".join(PROFILE_IDS) + ")")


def check_command(
    profile: str | None = typer.Option(None, "--profile", help="Профиль положения об ЭЖ."),
    rule: list[str] = typer.Option(
        [], "--rule", help="Проверить только это правило (можно несколько)."
    ),
    full: bool = typer.Option(False, "--full", help="Перепроверить всё, а не только изменённое."),
    config: str | None = typer.Option(
        None, "--config", help="Настройки организации (TOML) поверх профиля."
    ),
    truth: str | None = typer.Option(
        None,
        "--against-ground-truth",
        help="Сравнить нарушения с эталоном сценария (*.truth.json).",
    ),
    replay_scenario: bool = typer.Option(
        False,
        "--replay",
        help="Сначала загрузить в хранилище сценарий рядом с эталоном: синхронизации в каждый "
        "срок календаря и перед каждой заложенной записью.",
    ),
) -> None:
    """Проверить журнал по правилам положения и записать нарушения."""
    from sqlalchemy.exc import OperationalError

    from canonical.capabilities import unchecked_label
    from demo.scoring import TruthError, load_truth
    from policies.engine import CheckError, run_check
    from policies.profiles import ProfileError, load_profile

    with user_errors(OperationalError, CheckError, ProfileError, TruthError):
        engine = SETTINGS.engine()
        truth_data = load_truth(truth) if truth else None
        profile_id = profile or (truth_data or {}).get("profile") or _profile_id(engine, None)
        prof = load_profile(profile_id, config)
        if replay_scenario:
            if truth is None or truth_data is None:
                raise UserError("--replay работает только вместе с --against-ground-truth")
            _replay(engine, truth, truth_data, prof)
        report = run_check(engine, prof, rules=rule or None, full=full)
        totals = report.totals()
        mode = (
            "полная" if report.full else f"по изменениям после синхронизации №{report.since_run_id}"
        )
        console.print(
            f"Проверка №{report.check_id} ({mode}), профиль {prof.id}, данные на "
            f"{report.data_as_of:%Y-%m-%d %H:%M} UTC, правил: {len(report.rules)}, {report.seconds:.2f} с"
        )
        console.print(
            f"Новых нарушений: {totals['opened']}, изменилось: {totals['changed']}, "
            f"возобновлено: {totals['reopened']}, без изменений: {totals['unchanged']}, "
            f"устранено: {totals['resolved']}"
        )
        for rule_id, why in sorted(report.unchecked.items()):
            console.print(f"{rule_id}: {unchecked_label(why)}")
        if truth is not None and truth_data is not None:
            _print_scores(engine, truth, truth_data, prof.id)


def _replay(engine: Any, truth_path: str, truth: dict[str, Any], prof: Any) -> None:
    from demo.replay import replay_beside_truth

    replay_beside_truth(engine, truth_path, truth, prof, announce=console.print)


def _print_scores(engine: Any, truth_path: str, truth: dict[str, Any], profile_id: str) -> None:
    from demo.replay import scenario_beside_truth
    from demo.truth import score

    scores = score(engine, scenario_beside_truth(truth_path), truth, profile_id)
    table = Table(title=f"Точность и полнота по правилам (профиль {profile_id})")
    for title in ("Правило", "Заложено", "Найдено", "Совпало", "Точность", "Полнота"):
        table.add_column(title)
    for s in scores:
        table.add_row(
            s.rule_id,
            str(s.expected),
            str(s.found),
            str(s.true_positive),
            f"{s.precision:.0%}",
            f"{s.recall:.0%}",
        )
    console.print(table)


def violations_command(
    status: list[str] = typer.Option(
        [], "--status", help="open, acknowledged, approved, resolved (можно несколько)."
    ),
    rule: str | None = typer.Option(None, "--rule", help="Только это правило."),
    profile: str | None = typer.Option(None, "--profile", help="Только этот профиль."),
    fmt: str = typer.Option("table", "--format", help="table, json или csv."),
) -> None:
    """Показать нарушения (JSON: стабильный формат, docs/violations-json.md)."""
    from sqlalchemy.exc import OperationalError

    from canonical.wording import ru_moment
    from local_store.violations import STATUS_RU, list_violations
    from reports.deputy import ROLE_RU
    from reports.lesson_context import violation_lessons
    from reports.violations_json import violation_json

    with user_errors(OperationalError):
        bad = [s for s in status if s not in STATUS_RU]
        if bad:
            raise UserError(f"неизвестный статус {bad[0]!r}; допустимы: {', '.join(STATUS_RU)}")
        if fmt not in ("table", "json", "csv"):
            raise UserError(f"неизвестный формат {fmt!r}; допустимы: table, json, csv")
        engine = SETTINGS.engine()
        rows = list_violations(engine, statuses=status or None, rule_id=rule, profile_id=profile)
        lessons = violation_lessons(engine, rows) if fmt != "json" else {}
    if fmt == "json":
        payload = {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "violations": [violation_json(v) for v in rows],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "номер",
                "правило",
                "статус",
                "вердикт",
                "объект",
                "урок",
                "ответственный",
                "срок",
                "сообщение",
                "пункт",
            ]
        )
        for v in rows:
            zone = profile_timezone(str(v.get("profile_id") or ""))
            writer.writerow(
                [
                    v["id"],
                    rule_title(str(v["rule_id"])),
                    STATUS_RU[v["status"]],
                    VERDICT_RU.get(v["verdict"], v["verdict"]),
                    ENTITY_RU.get(str(v["entity_kind"]), "запись"),
                    lessons.get(int(v["id"]), ""),
                    ROLE_RU.get(str(v["responsible_role"] or ""), "—"),
                    ru_moment(v["deadline"], zone) if v["deadline"] else "",
                    v["message"],
                    v["clause"],
                ]
            )
        sys.stdout.write(buffer.getvalue())
        return
    if not rows:
        console.print("Нарушений нет.")
        return
    table = Table(title=f"Нарушения: {len(rows)}")
    table.add_column("№", no_wrap=True)
    table.add_column("Правило", overflow="fold", ratio=2)
    table.add_column("Статус", overflow="fold", ratio=1)
    table.add_column("Что не так", overflow="fold", ratio=4)
    for v in rows:
        table.add_row(
            str(v["id"]),
            rule_title(str(v["rule_id"])),
            f"{STATUS_RU[v['status']]}; {VERDICT_RU.get(v['verdict'], v['verdict'])}",
            "\n".join(t for t in (str(v["message"]), lessons.get(int(v["id"]), "")) if t),
        )
    console.print(table)


def approve_command(
    violation: str = typer.Argument(..., help="Номер нарушения или начало его отпечатка."),
    document: str = typer.Option(..., "--document", help="Номер документа согласования."),
    date: str = typer.Option(..., "--date", help="Дата документа, ГГГГ-ММ-ДД."),
    by: str = typer.Option(..., "--by", help="Кто согласовал (должность, ФИО)."),
) -> None:
    """Оформить нарушение как согласованное исключение (запись сохраняется)."""
    from sqlalchemy.exc import OperationalError

    from local_store.violations import ViolationError, approve

    with user_errors(OperationalError, ViolationError):
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise UserError(f"дата документа {date!r} не в формате ГГГГ-ММ-ДД") from None
        row = approve(
            SETTINGS.engine(),
            violation,
            document_number=document,
            document_date=day,
            approved_by=by,
        )
    console.print(
        f"Нарушение №{row['id']} ({row['rule_id']}) — согласованное исключение, документ {document} от {day:%d.%m.%Y}"
    )


def acknowledge_command(
    violation: str = typer.Argument(..., help="Номер нарушения или начало его отпечатка."),
    by: str = typer.Option("", "--by", help="Кто принял к сведению."),
) -> None:
    """Принять нарушение к сведению."""
    from sqlalchemy.exc import OperationalError

    from local_store.violations import ViolationError, acknowledge

    with user_errors(OperationalError, ViolationError):
        row = acknowledge(SETTINGS.engine(), violation, by=by)
    console.print(f"Нарушение №{row['id']} принято к сведению")


def register(app: typer.Typer) -> None:
    """Add ``check``, ``violations``, ``approve`` and ``acknowledge`` to the ``sverka`` app."""
    app.command("check")(check_command)
    app.command("violations")(violations_command)
    app.command("approve")(approve_command)
    app.command("acknowledge")(acknowledge_command)
