"""The deputy principal's report: violations of the regulation and discrepancies with the registries.

The report's input is a small typed view model (:class:`DeputyItem`): one
open or recently resolved problem with what is wrong, who must fix it, since
when, the evidence, how to fix it and the regulation clause.  Two adapters
fill it from the store — the policy engine's violations and reconciliation's
discrepancies — and :func:`build_report` orders it: the summary first (counts
by rule and by cause, the trend since last week), then by teacher, by group
and by rule; open items first, the ones resolved in the last week apart.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from canonical.capabilities import unchecked_label
from local_store.discrepancies import RULES as DISCREPANCY_RULES
from local_store.discrepancies import STATUS_RU as DISCREPANCY_STATUS_RU
from local_store.discrepancies import Status, clause_for, list_discrepancies
from local_store.runs import data_time
from policies.profiles import ProfileError, load_profile
from reports.data import JournalData, journal_sources, load_journal
from reports.evidence_text import evidence_lines, side_text
from reports.render import PdfSink, render_html, ru_datetime, write_html, write_pdf
from reports.tabular import Table, TabularReport

ROLE_RU = {
    "teacher": "преподаватель (учитель)",
    "class_teacher": "классный руководитель / куратор",
    "secretary": "секретарь учебной части",
    "head_of_department": "заведующий отделением",
    "hr_specialist": "специалист отдела кадров",
    "administrator": "администратор электронного журнала",
    "deputy": "заместитель директора",
    "director": "директор",
}
NO_COMMON_CAUSE = "Без общей причины: каждое исправляется отдельно"
STATUS_RU = {
    "open": "открыто",
    "acknowledged": "принято в работу",
    "approved": "разрешённое исключение",
    "resolved": "устранено",
}
HOW_TO_FIX = [
    ("lesson.topic.", "Внести тему урока (из КТП, с номером и названием работы) в журнал."),
    ("lesson.homework.", "Внести домашнее задание в журнал в день урока."),
    ("lesson.language", "Записать тему урока на русском языке."),
    ("lesson.hours", "Указать количество часов урока."),
    ("attendance.", "Отметить отсутствующих за день урока."),
    ("marks.work_type", "Указать вид работы у каждой отметки."),
    ("marks.scale", "Заменить отметку на одну из «2», «3», «4», «5»."),
    ("marks.first_grade", "Удалить отметки и домашние задания в 1 классе."),
    (
        "marks.no_backdating",
        "Вернуть прежнее значение или оформить письменное разрешение заместителя директора.",
    ),
    (
        "marks.correction",
        "Оформить письменное разрешение заместителя директора и внести его в Сверку.",
    ),
    ("marks.correct_mark", "Вернуть правильно выставленную отметку."),
    ("marks.edit", "Вернуть прежнее значение или оформить разрешение."),
    ("marks.final", "Вернуть итоговую отметку или оформить письменное разрешение директора."),
    (
        "marks.density",
        "Обеспечить накопляемость отметок: не менее нужного числа у каждого обучающегося.",
    ),
    ("marks.", "Выставить отметки в журнал в установленный срок."),
    ("period.lock", "Отменить изменение или оформить приказ директора о разблокировке."),
    ("year.lock", "Отменить изменение после годовых отметок."),
    (
        "final_marks.",
        "Выставить отметки за период до начала каникул и открыть их обучающимся и родителям.",
    ),
    ("plan.", "Внести или исправить КТП (часы по учебному плану)."),
    ("contingent.", "Внести приказ и сведения об обучающемся в журнал."),
    ("staff.", "Завести карточку сотрудника в журнале."),
    ("epgu.", "Дополнить карточку родителя и проверить права доступа."),
    ("diary.", "Выдать родителю отчёт об успеваемости на бумаге / проконтролировать регистрацию."),
    ("absence.", "Указать причину пропуска (уважительная / неуважительная)."),
    ("archive.", "Распечатать журнал (ведомости) для архива."),
    ("report.", "Сформировать отчёт об активности пользователей."),
]


def how_to_fix(rule_id: str) -> str:
    for prefix, text in HOW_TO_FIX:
        if rule_id.startswith(prefix):
            return text
    return "Устранить нарушение; оно закроется после следующей синхронизации и проверки."


@dataclass(frozen=True)
class DeputyItem:
    origin: str
    """«нарушение» (policy engine) or «расхождение» (reconciliation)."""
    id: str
    rule_id: str
    rule_title: str
    message: str
    responsible: str
    group: str | None
    since: dt.datetime
    evidence: tuple[str, ...]
    how_to_fix: str
    clause: str
    status: str
    resolved_at: dt.datetime | None = None
    cause: str | None = None
    severity: str = "medium"
    role: str = ""
    """The responsible person's role here (преподаватель, куратор ИС-21), shown beside the name."""
    subject: str = ""
    """Whom or what the item is about (a student, a lesson…), for grouping a cause's consequences."""
    person_key: str | None = None
    responsible_key: str | None = None
    """The journal person who must fix it (a teacher's web page shows them only their own)."""
    deadline: dt.datetime | None = None
    about: str = ""
    """What and whom, in words: «Математика, 3-й урок 12.03.2025; преподаватель …; обучающийся …»."""

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    @property
    def status_ru(self) -> str:
        return STATUS_RU.get(self.status, self.status)


@dataclass
class RuleLine:
    rule_id: str
    title: str
    clause: str
    how_to_fix: str
    open: int = 0
    new: int = 0
    resolved: int = 0
    open_week_ago: int = 0

    @property
    def clause_short(self) -> str:
        """«п. 4.6» without the quoted text, for the summary table."""
        return self.clause.split(":", 1)[0].strip()


@dataclass
class CauseBlock:
    """One root cause, shown once, with the people its consequences concern."""

    title: str
    how_to_fix: str
    responsible: str
    consequences: int
    subjects: list[str]


@dataclass
class DeputyReport:
    institution: str
    generated_at: dt.datetime
    since: dt.datetime
    timezone: str
    open_items: list[DeputyItem]
    resolved_items: list[DeputyItem]
    rules: list[RuleLine]
    causes: list[tuple[str, int]]
    open_week_ago: int
    new_this_week: int
    by_responsible: list[tuple[str, list[DeputyItem]]] = field(default_factory=list)
    by_group: list[tuple[str, list[DeputyItem]]] = field(default_factory=list)
    by_rule: list[tuple[RuleLine, list[DeputyItem]]] = field(default_factory=list)
    cause_details: list[CauseBlock] = field(default_factory=list)
    unchecked: list[tuple[str, str]] = field(default_factory=list)
    """(rule title, «не проверяется: …») for rules the platform cannot carry the facts for:
    the reader learns why a rule shows nothing instead of reading a silent zero."""

    @property
    def trend(self) -> int:
        return len(self.open_items) - self.open_week_ago


_SEVERITY = {"high": 0, "medium": 1, "low": 2}


def build_report(
    items: Iterable[DeputyItem],
    *,
    institution: str,
    now: dt.datetime,
    days: int = 7,
    timezone: str = "UTC",
) -> DeputyReport:
    """Order the items for reading: a pure function, so the report is testable on built data."""
    since = now - dt.timedelta(days=days)
    items = list(items)
    open_items = sorted(
        (i for i in items if i.is_open),
        key=lambda i: (_SEVERITY.get(i.severity, 1), i.rule_id, i.since, i.message),
    )
    resolved = sorted(
        (i for i in items if not i.is_open and i.resolved_at is not None and i.resolved_at > since),
        key=lambda i: (i.rule_id, i.resolved_at or now),
    )
    rules: dict[str, RuleLine] = {}
    for i in items:
        line = rules.setdefault(
            i.rule_id, RuleLine(i.rule_id, i.rule_title, i.clause, i.how_to_fix)
        )
        if i.is_open:
            line.open += 1
        if i.since > since:
            line.new += 1
        if not i.is_open and i.resolved_at is not None and i.resolved_at > since:
            line.resolved += 1
        if i.since <= since and (
            i.is_open or (i.resolved_at is not None and i.resolved_at > since)
        ):
            line.open_week_ago += 1
    rule_lines = sorted(
        (r for r in rules.values() if r.open or r.resolved or r.new),
        key=lambda r: (-r.open, r.title),
    )
    # only a real root cause is a cause: a rule's title is what was broken, not why
    causes = Counter(i.cause for i in open_items if i.cause)
    alone = sum(1 for i in open_items if not i.cause)
    if causes and alone:
        causes[NO_COMMON_CAUSE] = alone
    by_resp: dict[str, list[DeputyItem]] = defaultdict(list)
    by_group: dict[str, list[DeputyItem]] = defaultdict(list)
    by_rule: dict[str, list[DeputyItem]] = defaultdict(list)
    by_cause: dict[str, list[DeputyItem]] = defaultdict(list)
    for i in open_items:
        by_resp[i.responsible].append(i)
        by_group[i.group or "без группы"].append(i)
        by_rule[i.rule_id].append(i)
        if i.cause:
            by_cause[i.cause].append(i)
    return DeputyReport(
        institution=institution,
        generated_at=now,
        since=since,
        timezone=timezone,
        open_items=open_items,
        resolved_items=resolved,
        rules=rule_lines,
        causes=causes.most_common(),
        open_week_ago=sum(r.open_week_ago for r in rules.values()),
        new_this_week=sum(1 for i in items if i.since > since),
        by_responsible=sorted(by_resp.items(), key=lambda kv: (-len(kv[1]), kv[0])),
        by_group=sorted(by_group.items(), key=lambda kv: (-len(kv[1]), kv[0])),
        by_rule=[
            (rules[r], by_rule[r]) for r in sorted(by_rule, key=lambda r: (-len(by_rule[r]), r))
        ],
        cause_details=[
            # a cause with one consequence is not a common cause: its item stands on its own
            _cause_block(t, v)
            for t, v in sorted(by_cause.items(), key=lambda kv: -len(kv[1]))
            if len(v) > 1
        ],
    )


def _cause_block(title: str, items: list[DeputyItem]) -> CauseBlock:
    main = next((i for i in items if i.rule_id.startswith("movement.order_missing")), items[0])
    subjects: dict[str, str] = {}
    for i in items:
        key = i.person_key or i.subject or i.id
        label = i.subject or i.message
        if i.group:
            label = f"{label} ({i.group})"
        subjects.setdefault(key, label)
    return CauseBlock(
        title, main.how_to_fix, main.responsible, len(items), sorted(subjects.values())
    )


# --------------------------------------------------------------------------- adapters


def journal_lookup(engine: Engine) -> JournalData | None:
    sources = journal_sources(engine)
    if not sources:
        return None
    return load_journal(engine, sources[0], ("institution", "person", "group"))


def _discrepancy_clause(rule_id: str, profile_id: str | None) -> str:
    """The clause a discrepancy breaks, with the regulation's own words from the profile."""
    rule = DISCREPANCY_RULES.get(rule_id)
    if rule is not None and profile_id:
        try:
            setting = load_profile(profile_id).setting(rule.policy_rule)
        except ProfileError:
            setting = None
        if setting is not None and setting.clause and setting.text:
            return f"п. {setting.clause} положения об ЭЖ: «{setting.text}»"
    clause = clause_for(rule_id, profile_id)
    if clause.startswith("правило "):  # the profile's regulation has no such clause
        return "в положении организации об этом пункта нет (сверка с реестром контингента)"
    return clause


@functools.lru_cache(maxsize=64)
def clause_role(policy_rule: str, profile_id: str | None) -> str | None:
    """The role the profile's clause names as responsible, in Russian (``None``: not named)."""
    if not profile_id:
        return None
    try:
        setting = load_profile(profile_id).setting(policy_rule)
    except ProfileError:
        return None
    return ROLE_RU.get(setting.responsible) if setting.responsible else None


def discrepancy_items(
    engine: Engine, profile: str | None, journal: JournalData | None = None
) -> list[DeputyItem]:
    """Reconciliation's discrepancies as report items; the class teacher named where a group has one."""
    curator_by_group: dict[str, str] = {}
    if journal is not None:
        for g in journal.all("group"):
            if g.get("curator_id"):
                curator_by_group[str(g["name"])] = journal.name_of(g["curator_id"], short=True)
    out = []
    clauses: dict[str, str] = {}  # one profile read per rule, not per discrepancy
    for d in list_discrepancies(engine):
        rule = DISCREPANCY_RULES.get(d.rule)
        if d.rule not in clauses:
            clauses[d.rule] = _discrepancy_clause(d.rule, profile)
        who = rule.who if rule else "ответственный за контингент"
        named = clause_role(rule.policy_rule, profile) if rule else None
        role = ""
        if named:  # the institution's regulation names who answers for this clause
            who = named
        elif rule and "классный" in rule.who and d.group_name in curator_by_group:
            who, role = curator_by_group[d.group_name], f"куратор {d.group_name}"
        evidence = tuple(t for t in (side_text(d.side_a), side_text(d.side_b)) if t)
        out.append(
            DeputyItem(
                origin="расхождение",
                id=d.id,
                rule_id=d.rule,
                rule_title=rule.title if rule else d.rule,
                message=d.message,
                responsible=who,
                group=d.group_name,
                since=d.first_seen_at,
                evidence=evidence,
                how_to_fix=rule.how_to_fix if rule else how_to_fix(d.rule),
                clause=clauses[d.rule],
                status=d.status.value,
                resolved_at=d.resolved_at,
                cause=d.root_cause_title,
                severity="high" if d.root_cause_id else "medium",
                subject=d.subject,
                person_key=d.person_key,
                role=role,
            )
        )
    return out


def _rule_titles() -> dict[str, str]:
    try:
        from policies.rule import all_rules
    except ImportError:  # the policy engine is optional for the report
        return {}
    try:
        return {r.id: r.title for r in all_rules()}
    except Exception:  # a rule module that fails to import must not hide the report
        return {}


def violation_items(
    engine: Engine, journal: JournalData | None = None, timezone: str | None = None
) -> list[DeputyItem]:
    """The policy engine's violations as report items (empty when that engine has no tables yet)."""
    try:
        from local_store.violations import list_violations
    except ImportError:
        return []
    titles = _rule_titles()
    if timezone is None:
        timezone = (
            str(journal.institution["timezone"]) if journal and journal.institution else "UTC"
        )
    group_name = journal.group_name if journal is not None else None
    violations = list(list_violations(engine))
    about: dict[tuple[str, str], str] = {}
    if journal is not None:
        from reports.lesson_context import lesson_lines

        about = lesson_lines(engine, journal, violations)
    out = []
    for v in violations:
        person = v.get("responsible_person")
        role = ROLE_RU.get(str(v.get("responsible_role") or ""), v.get("responsible_role") or "—")
        if person and journal is not None:
            who = journal.name_of(person, short=True)
        else:
            who, role = str(person or role), ""
        group = v.get("group_key")
        if group and journal is not None:
            group = journal.group_name(group)
        clause = str(v.get("clause") or "")
        out.append(
            DeputyItem(
                origin="нарушение",
                id=str(v["fingerprint"])[:20],
                rule_id=str(v["rule_id"]),
                rule_title=titles.get(str(v["rule_id"]), str(v["rule_id"])),
                message=str(v.get("message") or ""),
                responsible=who,
                group=group,
                since=v["first_detected_at"],
                evidence=evidence_lines(v.get("evidence"), timezone, group_name),
                how_to_fix=how_to_fix(str(v["rule_id"])),
                clause=f"п. {clause} положения об ЭЖ" if clause and clause[0].isdigit() else clause,
                status=str(v["status"]),
                resolved_at=v.get("resolved_at"),
                severity=str(v.get("severity") or "medium"),
                role=str(role),
                responsible_key=str(person) if person else None,
                deadline=v.get("deadline"),
                about=about.get((str(v.get("entity_kind")), str(v.get("entity_key"))), ""),
            )
        )
    return out


def deputy_report_from_store(engine: Engine, now: dt.datetime | None = None) -> DeputyReport:
    journal = journal_lookup(engine)
    profile = journal.profile() if journal else None
    institution = journal.institution_name() if journal else "Образовательная организация"
    timezone = str(journal.institution["timezone"]) if journal and journal.institution else "UTC"
    items = violation_items(engine, journal, timezone) + discrepancy_items(engine, profile, journal)
    # dated by the data it reports on (the newest observation), never by the wall clock
    moment = now or data_time(engine) or dt.datetime.now(dt.UTC)
    report = build_report(items, institution=institution, now=moment, timezone=timezone)
    report.unchecked = unchecked_lines(profile)
    return report


def unchecked_lines(profile_id: str | None) -> list[tuple[str, str]]:
    """The profile's rules its platform cannot carry the facts for, with the reason."""
    if not profile_id:
        return []
    try:
        profile = load_profile(profile_id)
    except ProfileError:
        return []
    titles = _rule_titles()
    return [
        (titles.get(rule_id, rule_id), unchecked_label(why))
        for rule_id, why in sorted(profile.unchecked_rules().items())
    ]


# --------------------------------------------------------------------------- writing


def deputy_tables(report: DeputyReport) -> TabularReport:
    """The same report as sheets: summary, open, resolved, by responsible, by group."""
    tz = report.timezone
    tab = TabularReport(
        name="otchet_zamestitelyu",
        title="Отчёт заместителю директора",
        subtitle=f"Сформирован {ru_datetime(report.generated_at, tz)}; неделя с {ru_datetime(report.since, tz)}",
        institution=report.institution,
    )
    tab.tables.append(
        Table(
            "Сводка по правилам",
            [
                "Правило",
                "Пункт положения",
                "Открыто",
                "Неделю назад",
                "Новых за неделю",
                "Устранено за неделю",
            ],
            [
                [r.title, r.clause_short, r.open, r.open_week_ago, r.new, r.resolved]
                for r in report.rules
            ],
            totals=[
                "Итого",
                "",
                len(report.open_items),
                report.open_week_ago,
                report.new_this_week,
                len(report.resolved_items),
            ],
        )
    )
    tab.tables.append(
        Table("Сводка по причинам", ["Причина", "Открыто"], [[c, n] for c, n in report.causes])
    )
    columns = [
        "Правило",
        "Урок, преподаватель, обучающийся",
        "Что не так",
        "Кто исправляет",
        "Группа",
        "С какого времени",
        "Доказательства",
        "Как исправить",
        "Пункт положения",
        "Статус",
    ]

    def row(i: DeputyItem) -> list[Any]:
        return [
            i.rule_title,
            i.about or "—",
            i.message,
            f"{i.responsible} ({i.role})" if i.role else i.responsible,
            i.group or "—",
            ru_datetime(i.since, tz),
            "; ".join(i.evidence),
            i.how_to_fix,
            i.clause,
            i.status_ru,
        ]

    tab.tables.append(Table("Открытые", columns, [row(i) for i in report.open_items]))
    tab.tables.append(
        Table(
            "Устранено за неделю",
            [*columns, "Устранено"],
            [[*row(i), ru_datetime(i.resolved_at, tz)] for i in report.resolved_items],
        )
    )
    tab.tables.append(
        Table(
            "По ответственным",
            ["Кто исправляет", "Открыто", "Правила"],
            [[who, len(items), _rule_counts(items)] for who, items in report.by_responsible],
        )
    )
    tab.tables.append(
        Table(
            "По группам",
            ["Группа", "Открыто", "Правила"],
            [[g, len(items), _rule_counts(items)] for g, items in report.by_group],
        )
    )
    if report.unchecked:
        tab.tables.append(
            Table("Не проверяется", ["Правило", "Почему"], [list(u) for u in report.unchecked])
        )
    return tab


def _rule_counts(items: Sequence[DeputyItem]) -> str:
    c = Counter(i.rule_title for i in items)
    return "; ".join(f"{t} — {n}" for t, n in c.most_common())


def deputy_html(report: DeputyReport) -> str:
    return render_html(
        "deputy.html.j2",
        {
            "r": report,
            "rule_counts": _rule_counts,
            "tz": report.timezone,
            "discrepancy_status": DISCREPANCY_STATUS_RU,
            "Status": Status,
        },
    )


def write_deputy_report(
    report: DeputyReport,
    out_dir: Path,
    formats: tuple[str, ...] = ("html", "pdf", "xlsx"),
    pdf: PdfSink = write_pdf,
) -> dict[str, Path]:
    """The report as a page, a PDF (laid out by ``pdf``, maybe queued) and a workbook."""
    from reports.render import write_xlsx

    html = deputy_html(report)
    paths: dict[str, Path] = {}
    if "html" in formats:
        paths["html"] = write_html(html, out_dir / "otchet_zamestitelyu.html")
    if "pdf" in formats:
        paths["pdf"] = out_dir / "otchet_zamestitelyu.pdf"
        pdf(html, paths["pdf"])
    if "xlsx" in formats:
        paths["xlsx"] = write_xlsx(deputy_tables(report), out_dir / "otchet_zamestitelyu.xlsx")
    return paths
