"""The contingent export for the regional operator: bulk or delta, checked before anything leaves.

Every student record is validated first (СНИЛС checksum, required fields,
duplicates, dictionary codes, impossible dates); a record with an error is
kept out of the export and listed in the validation report, so nothing
invalid leaves.  The XML is then validated against our own XSD
(``schemas/contingent_export``) before it is written: an export that does not
validate is never written at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from sqlalchemy import Engine, or_, select

from canonical.normalize import SnilsError, name_key, validate_snils
from canonical.wording import MOVEMENT_RU, STATUS_RU, ru_date
from local_store.runs import data_time
from local_store.schema import version_table
from reports.data import JournalData, Source, load_journal
from reports.render import add_table_sheet, write_tabular

if TYPE_CHECKING:
    import xmlschema
from reports.tabular import Cell, Table, TabularReport

NAMESPACE = "urn://sverka.local/contingent-export/1.0.0"
XSD_PATH = Path(str(files("schemas") / "contingent_export" / "contingent-export-1.0.xsd"))
DOCUMENT_TYPES = {
    "03": "свидетельство о рождении",
    "10": "паспорт иностранного гражданина",
    "12": "вид на жительство в РФ",
    "15": "разрешение на временное проживание",
    "19": "свидетельство о временном убежище",
    "21": "паспорт гражданина РФ",
    "22": "загранпаспорт гражданина РФ",
    "23": "свидетельство о рождении (иностранное)",
    "24": "удостоверение личности военнослужащего",
    "62": "вид на жительство иностранного гражданина",
    "91": "иные документы",
}
STATUSES = {"studying", "academic_leave", "expelled", "graduated", "transferred_out"}
MOVEMENTS = {"enrolment", "expulsion", "transfer", "academic_leave", "return", "graduation"}
_SPECIALTY = re.compile(r"^(\d{2}\.\d{2}\.\d{2})")
GENDER = {"male": "1", "female": "2"}


class ExportError(ValueError):
    """The export could not be made (Russian message); nothing was written."""


@dataclass
class Problem:
    student_id: str
    student: str
    check: str
    """``snils``, ``required``, ``duplicate``, ``dictionary`` or ``dates``."""
    field: str
    message: str


@dataclass
class ExportRecord:
    student_id: str
    person: dict[str, Any]
    group: dict[str, Any] | None
    enrolment: dict[str, Any] | None
    movements: list[dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        p = self.person
        return " ".join(
            x for x in (p.get("last_name"), p.get("first_name"), p.get("middle_name")) if x
        )

    @property
    def valid(self) -> bool:
        return not self.problems


FIELD_RU = {
    "last_name": "фамилия",
    "first_name": "имя",
    "middle_name": "отчество",
    "birth_date": "дата рождения",
    "sex": "пол",
    "snils": "СНИЛС",
    "document_type": "вид документа",
    "document_number": "номер документа",
    "document_issued_on": "дата выдачи документа",
    "enrolment": "зачисление",
    "group": "группа",
    "status": "статус обучения",
    "starts_on": "дата зачисления",
    "movement": "вид приказа",
    "order_number": "номер приказа",
}
"""Field names as the validation report shows them (never the model's English names)."""

CHECK_RU = {
    "snils": "СНИЛС",
    "required": "обязательные поля",
    "duplicate": "дубликаты",
    "dictionary": "коды справочников",
    "dates": "невозможные даты",
}


@dataclass
class ExportResult:
    kind: str
    since_run: int | None
    records: list[ExportRecord]
    generated_at: dt.datetime
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def exported(self) -> list[ExportRecord]:
        return [r for r in self.records if r.valid]

    @property
    def rejected(self) -> list[ExportRecord]:
        return [r for r in self.records if not r.valid]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.records for p in r.problems]


# --------------------------------------------------------------------------- collecting


def changed_students(engine: Engine, source: Source, since_run: int) -> set[str]:
    """Students whose card, enrolment or movement orders the store saw change after ``since_run``."""
    out: set[str] = set()
    with engine.connect() as conn:
        for kind, column in (
            ("person", None),
            ("enrolment", "f_student_id"),
            ("movement_order", "f_student_id"),
        ):
            t = version_table(kind)
            col = t.c.external_id if column is None else t.c[column]
            rows = conn.execute(
                select(col)
                .where(
                    t.c.platform == source.platform,
                    t.c.deployment == source.deployment,
                    or_(t.c.first_seen_run_id > since_run, t.c.superseded_run_id > since_run),
                )
                .distinct()
            )
            out |= {r[0] for r in rows if r[0]}
    return out


def collect(data: JournalData, only: set[str] | None = None) -> list[ExportRecord]:
    """One record per student of the journal: card, current episode and orders."""
    episodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in data.all("enrolment"):
        episodes[e["student_id"]].append(e)
    orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in data.all("movement_order"):
        orders[o["student_id"]].append(o)
    students = [
        p for p in data.all("person") if "student" in (p.get("roles") or []) or p["id"] in episodes
    ]
    records = []
    for p in sorted(
        students, key=lambda p: (p.get("last_name") or "", p.get("first_name") or "", p["id"])
    ):
        if only is not None and p["id"] not in only:
            continue
        eps = episodes.get(p["id"], [])
        current = (
            max(eps, key=lambda e: (e["ends_on"] is None, str(e["starts_on"] or "")))
            if eps
            else None
        )
        group = data.kind("group").get(current["group_id"]) if current else None
        moves = sorted(orders.get(p["id"], []), key=lambda o: (o["effective_date"], o["number"]))
        records.append(ExportRecord(p["id"], p, group, current, moves))
    return records


# --------------------------------------------------------------------------- validation


def validate(records: Sequence[ExportRecord], today: dt.date, data: JournalData) -> None:
    """Attach every problem to its record (in place)."""
    for r in records:
        _check_record(r, today, data)
    _check_duplicates(records)


def _add(r: ExportRecord, check: str, field_name: str, message: str) -> None:
    r.problems.append(Problem(r.student_id, r.name or r.student_id, check, field_name, message))


def _check_record(r: ExportRecord, today: dt.date, data: JournalData) -> None:
    p = r.person
    for name, label in (
        ("last_name", "фамилия"),
        ("first_name", "имя"),
        ("birth_date", "дата рождения"),
        ("sex", "пол"),
    ):
        if not p.get(name):
            _add(r, "required", name, f"не заполнено поле «{label}»")
    snils = p.get("snils")
    if not snils:
        _add(r, "required", "snils", "не указан СНИЛС")
    else:
        try:
            validate_snils(str(snils))
        except SnilsError as exc:
            _add(r, "snils", "snils", f"СНИЛС {snils}: {exc}")
    if p.get("sex") and p["sex"] not in GENDER:
        _add(r, "dictionary", "sex", f"неизвестный код пола «{p['sex']}»")
    doc_type = p.get("document_type")
    if doc_type and str(doc_type) not in DOCUMENT_TYPES:
        _add(r, "dictionary", "document_type", f"неизвестный код вида документа «{doc_type}»")
    if doc_type and not p.get("document_number"):
        _add(r, "required", "document_number", "указан вид документа, но нет номера")
    e = r.enrolment
    if e is None:
        _add(r, "required", "enrolment", "нет сведений о зачислении (группа, дата)")
    else:
        if r.group is None:
            _add(r, "required", "group", "группа обучающегося не найдена в журнале")
        if e["status"] not in STATUSES:
            _add(r, "dictionary", "status", f"неизвестный статус обучения «{e['status']}»")
        if e["starts_on"] is None:
            _add(r, "required", "starts_on", "дата зачисления не указана в журнале")
        elif e["ends_on"] and e["ends_on"] < e["starts_on"]:
            _add(
                r,
                "dates",
                "ends_on",
                f"окончание обучения {e['ends_on']:%d.%m.%Y} раньше начала {e['starts_on']:%d.%m.%Y}",
            )
        if e["starts_on"] is not None and e["starts_on"] > today + dt.timedelta(days=366):
            _add(
                r,
                "dates",
                "starts_on",
                f"дата зачисления {e['starts_on']:%d.%m.%Y} в далёком будущем",
            )
    if (
        r.group is not None
        and r.group.get("specialty")
        and not _SPECIALTY.match(str(r.group["specialty"]))
    ):
        _add(
            r,
            "dictionary",
            "specialty",
            f"код специальности «{r.group['specialty']}» не по ОКСО (NN.NN.NN)",
        )
    birth = p.get("birth_date")
    if birth:
        age = (today - birth).days / 365.25
        if birth > today:
            _add(r, "dates", "birth_date", f"дата рождения {birth:%d.%m.%Y} в будущем")
        elif age < 5 or age > 80:
            _add(
                r,
                "dates",
                "birth_date",
                f"дата рождения {birth:%d.%m.%Y}: возраст {int(age)} лет невозможен для обучающегося",
            )
        if e is not None and e["starts_on"] is not None and e["starts_on"] < birth:
            _add(r, "dates", "starts_on", "зачислен раньше, чем родился")
        issued = p.get("document_issued_on")
        if issued and issued < birth:
            _add(r, "dates", "document_issued_on", "документ выдан раньше даты рождения")
    for o in r.movements:
        if o["movement"] not in MOVEMENTS:
            _add(r, "dictionary", "movement", f"неизвестный вид приказа «{o['movement']}»")
        if o["effective_date"] < o["order_date"] - dt.timedelta(days=366):
            _add(
                r,
                "dates",
                "effective_date",
                f"приказ № {o['number']}: вступает в силу за год до даты приказа",
            )
        if o["order_date"] > today:
            _add(
                r,
                "dates",
                "order_date",
                f"приказ № {o['number']} датирован будущим числом {o['order_date']:%d.%m.%Y}",
            )
        if not o.get("number"):
            _add(r, "required", "order_number", "у приказа нет номера")


def _check_duplicates(records: Sequence[ExportRecord]) -> None:
    by_snils: dict[str, list[ExportRecord]] = defaultdict(list)
    by_fio: dict[tuple[str, dt.date], list[ExportRecord]] = defaultdict(list)
    for r in records:
        p = r.person
        if p.get("snils"):
            by_snils["".join(ch for ch in str(p["snils"]) if ch.isdigit())].append(r)
        if p.get("last_name") and p.get("birth_date"):
            by_fio[
                (
                    name_key(p["last_name"], p.get("first_name") or "", p.get("middle_name") or ""),
                    p["birth_date"],
                )
            ].append(r)
    for group in by_snils.values():
        if len(group) > 1:
            others = ", ".join(x.name or x.student_id for x in group)
            for r in group:
                _add(
                    r, "duplicate", "snils", f"СНИЛС совпадает у нескольких обучающихся ({others})"
                )
    for _key, group in by_fio.items():
        if len(group) > 1:
            others = ", ".join(x.name or x.student_id for x in group)
            for r in group:
                _add(
                    r,
                    "duplicate",
                    "fio_birth",
                    f"возможный дубликат: те же ФИО и дата рождения ({others})",
                )


# --------------------------------------------------------------------------- writing


def _sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        el.text = text.isoformat() if isinstance(text, dt.date) else str(text)
    return el


def build_xml(result: ExportResult, data: JournalData) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}ContingentExport", nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    root.set("generatedAt", result.generated_at.replace(microsecond=0).isoformat())
    root.set("kind", result.kind)
    if result.since_run is not None:
        root.set("sinceRun", str(result.since_run))
    root.set("count", str(len(result.exported)))
    org = _sub(root, "Organization")
    _sub(org, "Name", data.institution_name())
    if data.profile():
        _sub(org, "Profile", data.profile())
    _sub(org, "Source", f"{data.source.platform}:{data.source.deployment}")
    students = _sub(root, "Students")
    for r in result.exported:
        p, e, g = r.person, r.enrolment, r.group
        assert e is not None and g is not None
        st = _sub(students, "Student")
        st.set("localId", r.student_id)
        person = _sub(st, "Person")
        _sub(person, "LastName", p["last_name"])
        _sub(person, "FirstName", p["first_name"])
        if p.get("middle_name"):
            _sub(person, "MiddleName", p["middle_name"])
        _sub(person, "BirthDate", p["birth_date"])
        _sub(person, "Gender", GENDER[p["sex"]])
        _sub(person, "SNILS", validate_snils(str(p["snils"])))
        if p.get("document_type") and p.get("document_number"):
            doc = _sub(st, "Document")
            _sub(doc, "Type", p["document_type"])
            if p.get("document_series"):
                _sub(doc, "Series", p["document_series"])
            _sub(doc, "Number", p["document_number"])
            if p.get("document_issued_on"):
                _sub(doc, "IssueDate", p["document_issued_on"])
        edu = _sub(st, "Education")
        _sub(edu, "GroupName", g["name"])
        if g.get("grade"):
            _sub(edu, "Grade", g["grade"])
        if g.get("course"):
            _sub(edu, "Course", g["course"])
        if g.get("specialty"):
            match = _SPECIALTY.match(str(g["specialty"]))
            if match:
                _sub(edu, "Specialty", match.group(1))
        _sub(edu, "Status", e["status"])
        _sub(edu, "StartDate", e["starts_on"])
        if e.get("ends_on"):
            _sub(edu, "EndDate", e["ends_on"])
        if e.get("order_number"):
            _sub(edu, "OrderNumber", e["order_number"])
        if e.get("order_date"):
            _sub(edu, "OrderDate", e["order_date"])
        if r.movements:
            moves = _sub(st, "Movements")
            for o in r.movements:
                m = _sub(moves, "Movement")
                _sub(m, "Kind", o["movement"])
                _sub(m, "OrderNumber", o["number"])
                _sub(m, "OrderDate", o["order_date"])
                _sub(m, "EffectiveDate", o["effective_date"])
                if o.get("from_group_id"):
                    _sub(m, "FromGroup", data.group_name(o["from_group_id"]))
                if o.get("to_group_id"):
                    _sub(m, "ToGroup", data.group_name(o["to_group_id"]))
    payload: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return payload


def schema() -> xmlschema.XMLSchema:
    import xmlschema

    return xmlschema.XMLSchema(str(XSD_PATH))


def check_xml(payload: bytes) -> None:
    """Raise :class:`ExportError` with the first schema error, in Russian, if the XML is invalid."""
    errors = list(schema().iter_errors(etree.fromstring(payload)))
    if errors:
        first = errors[0]
        raise ExportError(
            f"выгрузка не прошла проверку по схеме XSD ({len(errors)} ошибок), файл не записан: "
            f"{first.reason} ({first.path})"
        )


CSV_COLUMNS = [
    ("localId", "Идентификатор"),
    ("LastName", "Фамилия"),
    ("FirstName", "Имя"),
    ("MiddleName", "Отчество"),
    ("BirthDate", "Дата рождения"),
    ("Gender", "Код пола"),
    ("GenderName", "Пол"),
    ("SNILS", "СНИЛС"),
    ("DocumentType", "Код вида документа"),
    ("DocumentTypeName", "Вид документа"),
    ("DocumentSeries", "Серия"),
    ("DocumentNumber", "Номер"),
    ("GroupName", "Группа (класс)"),
    ("Status", "Статус обучения"),
    ("StartDate", "Дата зачисления"),
    ("EndDate", "Дата окончания"),
    ("OrderNumber", "Приказ о зачислении"),
    ("OrderDate", "Дата приказа"),
    ("Movements", "Приказы о движении"),
]
GENDER_RU = {"1": "мужской", "2": "женский"}
DICTIONARIES: list[tuple[str, dict[str, str]]] = [
    ("Пол (код в выгрузке)", GENDER_RU),
    ("Вид документа, удостоверяющего личность (коды ФНС России, СПДУЛ)", DOCUMENT_TYPES),
]
"""The coded columns of the export and the dictionaries their codes come from."""


def movement_text(order: dict[str, Any]) -> str:
    kind = MOVEMENT_RU.get(order["movement"], order["movement"])
    return f"{kind} — приказ № {order['number']} от {ru_date(order['order_date'])}"


def flat_rows(result: ExportResult, data: JournalData) -> list[list[Cell]]:
    """One row per exported student; dates stay dates (Excel shows them as dates)."""
    rows: list[list[Cell]] = []
    for r in result.exported:
        p, e, g = r.person, r.enrolment or {}, r.group or {}
        gender = GENDER.get(p.get("sex") or "", "")
        doc_type = str(p.get("document_type") or "")
        rows.append(
            [
                r.student_id,
                p["last_name"],
                p["first_name"],
                p.get("middle_name") or "",
                p["birth_date"],
                gender,
                GENDER_RU.get(gender, ""),
                validate_snils(str(p["snils"])),
                doc_type,
                DOCUMENT_TYPES.get(doc_type, ""),
                p.get("document_series") or "",
                p.get("document_number") or "",
                g.get("name", ""),
                STATUS_RU.get(e.get("status", ""), e.get("status", "")),
                e.get("starts_on"),
                e.get("ends_on"),
                e.get("order_number") or "",
                e.get("order_date"),
                "; ".join(movement_text(o) for o in r.movements),
            ]
        )
    return rows


def _csv_cell(value: Cell) -> Cell:
    """CSV has no dates: they are written as a Russian reader writes them."""
    if isinstance(value, dt.date):
        return ru_date(value)
    return "" if value is None else value


def dictionary_table() -> Table:
    return Table(
        "Справочники кодов",
        ["Справочник", "Код", "Значение"],
        [[name, code, value] for name, codes in DICTIONARIES for code, value in codes.items()],
        note="Коды в столбцах «Код пола» и «Код вида документа» взяты из этих справочников.",
    )


REGISTRY_RULE_PREFIXES = ("person.", "identity.", "enrolment.", "movement.", "registry.")
"""Discrepancies between the journal and the contingent registry (not ЕПГУ, not «Е-услуги»)."""


def open_registry_discrepancies(engine: Engine, timezone: str, profile: str | None = None) -> Table:
    """What reconciliation still finds different between the journal and the registry."""
    from local_store.discrepancies import RULES, Status, list_discrepancies
    from local_store.discrepancies import STATUS_RU as DISCREPANCY_STATUS_RU
    from reports.deputy import clause_role

    rows: list[list[Cell]] = []
    for d in list_discrepancies(engine, (Status.OPEN, Status.ACKNOWLEDGED)):
        if not d.rule.startswith(REGISTRY_RULE_PREFIXES):
            continue
        rule = RULES.get(d.rule)
        rows.append(
            [
                d.subject or "—",
                d.group_name or "—",
                rule.title if rule else "расхождение с реестром",
                d.message,
                (clause_role(rule.policy_rule, profile) or rule.who)
                if rule
                else "ответственный за ведение контингента",
                _local(d.first_seen_at, timezone),
                DISCREPANCY_STATUS_RU[d.status],
            ]
        )
    return Table(
        "Открытые расхождения с реестром контингента",
        [
            "Обучающийся",
            "Группа",
            "Расхождение",
            "Подробности",
            "Кто исправляет",
            "Найдено",
            "Состояние",
        ],
        rows,
        note=(
            "Расхождения последней сверки журнала с реестром, ещё не устранённые: "
            "до выгрузки их стоит проверить."
            if rows
            else "Открытых расхождений с реестром нет."
        ),
        landscape=True,
    )


def validation_report(
    result: ExportResult, data: JournalData, engine: Engine | None = None
) -> TabularReport:
    report = TabularReport(
        name="proverka_vygruzki_kontingenta",
        title="Проверка выгрузки контингента",
        subtitle=(
            f"{'Полная выгрузка' if result.kind == 'bulk' else f'Изменения после запуска {result.since_run}'}; "
            f"проверено {len(result.records)}, выгружено {len(result.exported)}, не выгружено {len(result.rejected)}"
        ),
        institution=data.institution_name(),
    )
    counts: dict[str, int] = defaultdict(int)
    for p in result.problems:
        counts[p.check] += 1
    report.tables.append(
        Table(
            "Итоги проверки",
            ["Проверка", "Найдено ошибок"],
            [[CHECK_RU[k], counts.get(k, 0)] for k in CHECK_RU],
        )
    )
    report.tables.append(
        Table(
            "Не выгружены: ошибки",
            ["Обучающийся", "Идентификатор", "Группа", "Проверка", "Поле", "Что не так"],
            [
                [
                    p.student,
                    p.student_id,
                    (r.group or {}).get("name", "—"),
                    CHECK_RU[p.check],
                    FIELD_RU.get(p.field, "другое поле"),
                    p.message,
                ]
                for r in result.rejected
                for p in r.problems
            ],
        )
    )
    if engine is not None:
        report.tables.append(open_registry_discrepancies(engine, _timezone(data), data.profile()))
    return report


def _local(moment: dt.datetime, timezone: str) -> dt.datetime:
    """A stored instant as the institution's wall clock (a date-time cell in Excel)."""
    from zoneinfo import ZoneInfo

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(timezone))


def _timezone(data: JournalData) -> str:
    inst = data.institution
    return str(inst["timezone"]) if inst and inst.get("timezone") else "UTC"


def export_stem(kind: str, local_now: dt.datetime) -> str:
    """The export's file name: the kind and the data moment on the institution's wall clock.

    The data moment (the newest observation), not the machine's clock, names the file, so a
    re-export of the same data gets the same name and a night run is not dated the next day
    in UTC."""
    return f"kontingent_{kind}_{local_now:%Y%m%d_%H%M%S}"


def export_contingent(
    engine: Engine,
    source: Source,
    out_dir: Path,
    *,
    fmt: str = "xml",
    since_run: int | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Validate, then write the export in ``fmt`` and the validation report beside it."""
    if fmt not in ("xml", "csv", "xlsx"):
        raise ExportError(f"формат «{fmt}» не поддерживается: xml, csv или xlsx")
    data = load_journal(
        engine, source, ("institution", "person", "group", "enrolment", "movement_order")
    )
    now = now or data_time(engine) or dt.datetime.now(dt.UTC)
    local_now = _local(now, _timezone(data))
    today = today or local_now.date()
    only = changed_students(engine, source, since_run) if since_run is not None else None
    records = collect(data, only)
    validate(records, today, data)
    result = ExportResult("delta" if since_run is not None else "bulk", since_run, records, now)
    stem = export_stem(result.kind, local_now)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "xml":
        payload = build_xml(result, data)
        check_xml(payload)
        path = out_dir / f"{stem}.xml"
        path.write_bytes(payload)
    elif fmt == "csv":
        path = out_dir / f"{stem}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow([ru for _, ru in CSV_COLUMNS])
            writer.writerows([_csv_cell(v) for v in row] for row in flat_rows(result, data))
    else:
        from openpyxl import Workbook

        path = out_dir / f"{stem}.xlsx"
        wb = Workbook()
        if wb.active is not None:
            wb.remove(wb.active)
        table = Table(
            "Выгрузка контингента",
            [ru for _, ru in CSV_COLUMNS],
            flat_rows(result, data),
        )
        heading = [data.institution_name(), validation_report(result, data).subtitle]
        taken: set[str] = set()
        add_table_sheet(wb, table, heading, taken)
        add_table_sheet(wb, dictionary_table(), [data.institution_name()], taken)
        wb.save(str(path))
    result.paths["export"] = path
    for kind, p in write_tabular(
        validation_report(result, data, engine), out_dir, ("html", "xlsx")
    ).items():
        result.paths[f"validation_{kind}"] = p
    return result
