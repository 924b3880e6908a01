"""Every message and piece of evidence a person reads is Russian, local and free of ids.

Two paths: every rule of every profile runs over a small journal whose entries are late
(so the rules' own message templates are filled with real data), and every evidence key the
renderer knows is rendered from sample values.  Neither may leave an ISO instant, a UTC
offset, an English ``key:`` or an internal record id in what a deputy reads.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import Engine

from local_store.violations import list_violations
from policies.deadlines import DeadlineSpec
from policies.engine import run_check
from policies.profiles import PROFILE_IDS, load_profile
from policies.rule import all_rules
from reports.evidence_text import LABELS, evidence_lines
from tests.policies.store import sync
from tests.policies.test_all_rules_run import _journal

ISO_TIME = re.compile(r"T\d\d:\d\d:\d\d")
ISO_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b")
ENGLISH_KEY = re.compile(r"\b[a-z_]+:")
ABBREVIATED = re.compile(r"\b(?:дн|рабоч|календ|учебн)\.")


def assert_readable(text: str, ids: set[str], where: str) -> None:
    assert not ISO_TIME.search(text), f"{where}: время в формате ISO: {text}"
    assert not ISO_DATE.search(text), f"{where}: дата в формате ISO: {text}"
    assert "+00:00" not in text and "UTC" not in text, f"{where}: время в UTC: {text}"
    assert not ENGLISH_KEY.search(text), f"{where}: английский ключ: {text}"
    assert not ABBREVIATED.search(text), f"{where}: сокращение вместо слова: {text}"
    words = set(re.findall(r"[\w:.-]+", text))
    leaked = {i for i in ids if i in words}
    assert not leaked, f"{where}: внутренние идентификаторы {leaked}: {text}"


@pytest.mark.parametrize("profile_id", PROFILE_IDS)
def test_rule_messages_read_as_russian_sentences(engine: Engine, profile_id: str) -> None:
    journal = _journal()
    ids = {r.source.external_id for r in journal}
    # The first sync comes three weeks after the lessons: every deadline has passed.
    sync(engine, dt.datetime(2026, 10, 6, 12, tzinfo=dt.UTC), {"all": journal})
    sync(engine, dt.datetime(2026, 10, 27, 12, tzinfo=dt.UTC), {"all": journal})
    profile = load_profile(profile_id)
    run_check(engine, profile, rules=[r.id for r in all_rules()], full=True)
    rows = list_violations(engine)
    assert rows, "проверка не нашла ни одного нарушения: шаблоны сообщений не проверены"
    for v in rows:
        where = f"{profile_id} {v['rule_id']}"
        assert re.search(r"[а-яА-Я]", str(v["message"])), where
        assert_readable(str(v["message"]), ids, where)
        for line in evidence_lines(v.get("evidence"), profile.timezone):
            assert_readable(line, ids, where + " (доказательство)")


def test_every_evidence_key_renders_in_russian_local_time() -> None:
    sample: dict[str, object] = {}
    for key, (_label, kind) in LABELS.items():
        sample[key] = {
            "moment": "2026-12-22T14:00:00+00:00",
            "date": "2026-12-22",
            "number": 3,
            "share": 0.25,
            "flag": True,
            "text": "Контрольная работа № 2",
        }[kind]
    sample["window"] = ["2026-09-01", "2026-11-30"]
    sample["runs"] = ["2026-12-22T14:00:00+00:00", "2026-12-23T01:00:00+00:00"]
    sample["missing_fields"] = ["snils", "birth_date", "parent"]
    sample["movement"] = "expulsion"
    sample["differences"] = {
        "status": {"journal": "studying", "registry": "expelled"},
        "group": {"journal": "G-2003", "registry": "G-2004"},
        "movement_date": {"journal": "2026-08-27", "registry": "2026-08-28"},
    }
    sample.update(group="G-2003", subject="3007", registry_id="R-77", teacher="T1")
    groups = {"G-2003": "ТМ-21", "G-2004": "ТМ-22"}
    lines = evidence_lines(sample, "Asia/Tomsk", lambda key: groups.get(key, "—"))
    assert len(lines) == len(LABELS)
    for line in lines:
        assert_readable(line, {"G-2003", "G-2004", "3007", "R-77", "T1"}, "доказательство")
    text = "\n".join(lines)
    assert "Срок — 22.12.2026 21:00" in text  # 14:00 UTC is 21:00 in Томск
    assert "Дата — 22.12.2026" in text
    assert "Период — с 01.09.2026 по 30.11.2026" in text
    assert "СНИЛС, дата рождения, родитель" in text
    assert "Вид движения — отчисление" in text
    assert "статус: в журнале — обучается, в реестре — отчислен" in text
    assert "группа: в журнале — ТМ-21, в реестре — ТМ-22" in text
    assert "Доля без отметок — 25%" in text


def test_deadline_wording_is_written_in_full() -> None:
    assert DeadlineSpec(working_days=3).describe() == "в течение 3 рабочих дней"
    assert DeadlineSpec(working_days=1).describe() == "в течение 1 рабочего дня"
    assert DeadlineSpec(calendar_days=1).describe() == "не позднее следующего дня"
    assert DeadlineSpec(after_last_lesson_hours=1.5).describe() == (
        "не позднее 1,5 часа после последнего урока дня"
    )
