"""Scoring violations against the scenario truth: the project's one scorer.

A demo pulls the scenario through the platform emulators with the real
connectors, so the store knows the platform's ids («student:123»,
«task:7:123») and never the scenario's («s23», «m1034»); a replay stores the
scenario's own ids.  Matching by id would work only for the second, so both
sides are reduced to what a person would recognise the record by: a student by ФИО and birth date, a lesson by
group, subject, day and start time, a mark by its student, subject and day…
The truth side reads the scenario's rows, the store side the latest version
of the violation's entity and of everything it refers to.

A signature has several levels, strict to loose (a platform may lack a
lesson's start time, or show another birth date than the journal): matching
pairs equal strict signatures first and loosens only for what is left, each
(rule, signature) a multiset so two equal records count twice.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy import Engine, select

from canonical.normalize import name_key
from canonical.registry import RECORD_TYPES
from canonical.requests import EpguRequestStatus, RegistryResult
from demo.scoring import EXPECTED_VERDICTS, RuleScore, tally
from local_store.runs import RunStatus
from local_store.schema import sync_run, version_table
from local_store.violations import Status, list_violations
from policies.epgu import REFUSE_NOT_REPRESENTATIVE

Key = tuple[Any, ...]
Levels = tuple[Key | None, ...]

ENTITY_KIND_ALIASES = {"teacher": "person"}
"""Violation entity kinds that are another record kind in the store."""

LEVELS = 4
"""How many signature levels every kind yields (loose ones repeat the last strict one)."""


class Lookup(Protocol):
    """Rows of one side (the scenario, or one deployment of the store) by kind and id."""

    def row(self, kind: str, ref: str | None) -> Mapping[str, Any] | None: ...


def text_key(value: Any) -> str | None:
    """A name compared without case, ё, repeated spaces or spaces around hyphens."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip().casefold().replace("ё", "е")
    return re.sub(r"\s*-\s*", "-", text) or None


def day_key(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def clock_key(value: Any) -> str | None:
    """``HH:MM`` of a time (seconds never matter for a bell)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)[:5]


def enum_key(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _levels(*keys: Key | None) -> Levels:
    """Pad to ``LEVELS``: a kind with fewer distinctions repeats its loosest key."""
    out = list(keys)
    while len(out) < LEVELS:
        out.append(out[-1])
    return tuple(out[:LEVELS])


def _complete(key: Key | None) -> Key | None:
    """A key with an unknown part never matches (``None`` is not a value two records share)."""
    if key is None or any(part is None for part in key):
        return None
    return key


# -- signatures per kind ----------------------------------------------------------------------


def person_levels(row: Mapping[str, Any] | None) -> Levels:
    if row is None:
        return _levels(None)
    name = name_key(
        str(row.get("last_name") or ""),
        str(row.get("first_name") or ""),
        str(row.get("middle_name") or ""),
    )
    if not name:
        return _levels(None)
    return _levels(
        _complete((name, day_key(row.get("birth_date")))),
        _complete((name, person_side(row.get("roles")))),
        (name,),
    )


def person_side(roles: Any) -> str | None:
    """Which side of the school a person is on: a child, a parent, or staff.

    A journal that keeps no birth dates (NetSchool) still tells a boy from his father
    of the same ФИО by this: the scenario has such families.
    """
    names = {str(enum_key(r)) for r in roles or ()}
    if not names:
        return None
    if "student" in names:
        return "student"
    return "parent" if names == {"parent"} else "staff"


def _person(side: Lookup, ref: str | None) -> Levels:
    return person_levels(side.row("person", ref))


def _named(side: Lookup, kind: str, ref: str | None) -> str | None:
    row = side.row(kind, ref)
    return None if row is None else text_key(row.get("name"))


def _period(side: Lookup, ref: str | None) -> tuple[Key | None, Key | None]:
    row = side.row("period", ref)
    if row is None:
        return None, None
    dates = _complete((day_key(row.get("starts_on")), day_key(row.get("ends_on"))))
    return dates, _complete((enum_key(row.get("period_kind")), row.get("number")))


def _combine(head: Key | None, *parts: Any) -> Key | None:
    """``head + parts``, unknown when any part is."""
    if head is None:
        return None
    return _complete(head + tuple(parts))


def lesson_levels(side: Lookup, row: Mapping[str, Any] | None) -> Levels:
    if row is None:
        return _levels(None)
    base = _complete(
        (
            _named(side, "group", row.get("group_id")),
            _named(side, "subject", row.get("subject_id")),
            day_key(row.get("date")),
        )
    )
    return _levels(
        _combine(base, "at", clock_key(row.get("starts_at"))),
        _combine(base, "no", row.get("number")),
        base,
    )


def mark_levels(side: Lookup, row: Mapping[str, Any]) -> Levels:
    student = _person(side, row.get("student_id"))
    subject = _named(side, "subject", row.get("subject_id"))
    final = enum_key(row.get("final_kind"))
    if final is not None:
        dates, number = _period(side, row.get("period_id"))
        when: tuple[Key | None, Key | None] = (dates, number)
    else:
        day = day_key(row.get("date"))
        when = ((day,) if day else None, (day,) if day else None)
    strict, loose = student[0], student[-1]
    return _levels(
        _combine(strict, subject, final or "", when[0]),
        _combine(strict, subject, final or "", when[1]),
        _combine(loose, subject, final or "", when[0]),
        _combine(loose, subject, final or "", when[1]),
    )


def absence_levels(side: Lookup, row: Mapping[str, Any]) -> Levels:
    student = _person(side, row.get("student_id"))
    day = day_key(row.get("date"))
    lesson = side.row("lesson", row.get("lesson_id"))
    start = None if lesson is None else clock_key(lesson.get("starts_at"))
    strict, loose = student[0], student[-1]
    if row.get("lesson_id") is None:  # a whole-day absence has no lesson on either side
        return _levels(_combine(strict, day), _combine(loose, day))
    return _levels(
        _combine(strict, day, start),
        _combine(strict, day),
        _combine(loose, day, start),
        _combine(loose, day),
    )


def _pair(side: Lookup, row: Mapping[str, Any], group: str, subject: str) -> Levels:
    return _levels(
        _complete(
            (
                _named(side, "group", row.get(group)),
                _named(side, "subject", row.get(subject)),
            )
        )
    )


def movement_levels(side: Lookup, row: Mapping[str, Any]) -> Levels:
    student = _person(side, row.get("student_id"))
    number = text_key(row.get("number"))
    day = day_key(row.get("order_date"))
    movement = enum_key(row.get("movement"))
    return _levels(
        _combine(student[0], number, day),
        _combine(student[-1], number, day),
        _complete((number, day, movement)),
        _combine(student[-1], day, movement),
    )


def _parent_child(side: Lookup, row: Mapping[str, Any]) -> Levels:
    parent = _person(side, row.get("parent_id"))
    child = _person(side, row.get("child_id"))
    return _levels(
        _combine(parent[0], child[0]),
        _combine(parent[-1], child[-1]),
    )


def generic_levels(kind: str, row: Mapping[str, Any]) -> Levels:
    """Every plain field that is not a reference or an entry time: a last resort."""
    model = RECORD_TYPES.get(kind)
    names = sorted(model.model_fields) if model else sorted(row)
    parts: list[Any] = []
    for name in names:
        if name in ("source", "id", "created_at") or name.endswith(("_id", "_at")):
            continue
        value = row.get(name)
        if isinstance(value, dt.date | dt.time):
            value = value.isoformat()
        elif isinstance(value, list | tuple):
            value = tuple(sorted(enum_key(v) or "" for v in value))
        elif value is not None and not isinstance(value, bool | int | float):
            value = text_key(enum_key(value))
        parts.append((name, value))
    return _levels(tuple(parts))


SIGNATURES: dict[str, Callable[[Lookup, Mapping[str, Any]], Levels]] = {
    "person": lambda side, row: person_levels(row),
    "expected_enrolment": lambda side, row: person_levels(row),
    "group": lambda side, row: _levels(_complete((text_key(row.get("name")),))),
    "subject": lambda side, row: _levels(_complete((text_key(row.get("name")),))),
    "lesson": lesson_levels,
    "homework": lambda side, row: lesson_levels(side, side.row("lesson", row.get("lesson_id"))),
    "mark": mark_levels,
    "absence": absence_levels,
    "movement_order": movement_levels,
    "teaching_assignment": lambda side, row: _pair(side, row, "group_id", "subject_id"),
    "plan": lambda side, row: _pair(side, row, "group_id", "subject_id"),
    "result_announcement": lambda side, row: _levels(
        _combine(
            _pair(side, row, "group_id", "subject_id")[0],
            day_key(row.get("work_date")),
        )
    ),
    "diary_opt_out": _parent_child,
    "paper_report": _parent_child,
    "parent_link": _parent_child,
    "invitation_code": lambda side, row: _person(side, row.get("person_id")),
    "enrolment": lambda side, row: _levels(
        _combine(
            _person(side, row.get("student_id"))[0],
            _named(side, "group", row.get("group_id")),
        ),
        _combine(
            _person(side, row.get("student_id"))[-1],
            _named(side, "group", row.get("group_id")),
        ),
    ),
    "epgu_request": lambda side, row: _levels(_complete((text_key(row.get("order_id")),))),
    "registry_feedback": lambda side, row: _levels(_complete((row.get("message_id"),))),
    "data_review": lambda side, row: _levels(
        _complete(
            (
                _named(side, "group", row.get("group_id")) or "",
                day_key(row.get("reviewed_on")),
            )
        )
    ),
}


def signature(side: Lookup, kind: str, ref: str) -> Levels:
    """Levels of the natural signature of record ``ref`` of ``kind`` on one side."""
    kind = ENTITY_KIND_ALIASES.get(kind, kind)
    row = side.row(kind, ref) if kind in RECORD_TYPES else None
    if row is None:
        return _levels(None)
    make = SIGNATURES.get(kind)
    levels = make(side, row) if make else generic_levels(kind, row)
    return tuple((kind, *key) if key is not None else None for key in levels)


# -- the two sides ----------------------------------------------------------------------------


class WorldRows:
    """Scenario rows as of the scenario's end: creations plus every edit, deletions ignored.

    A case may concern a record deleted later (a mark removed after the
    deadline): its last values are still what the violation is about.
    """

    def __init__(self, world: Any) -> None:
        self.world = world
        self._ids: dict[str, dict[str, int]] = {}
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._edits: dict[tuple[str, str], list[tuple[dt.datetime, str, Any]]] | None = None

    def row(self, kind: str, ref: str | None) -> Mapping[str, Any] | None:
        if ref is None:
            return None
        key = (kind, str(ref))
        if key not in self._cache:
            self._cache[key] = self._load(kind, str(ref))
        return self._cache[key]

    def _load(self, kind: str, ref: str) -> dict[str, Any] | None:
        table = self.world.tables.get(kind)
        if table is None:
            return None
        ids = self._ids.get(kind)
        if ids is None:
            ident = table.index["id"]
            ids = {str(r[ident]): i for i, r in enumerate(table.rows)}
            self._ids[kind] = ids
        position = ids.get(ref)
        if position is None:
            return None
        row = dict(zip(table.columns, table.rows[position], strict=True))
        if self._edits is None:
            self._edits = self.world.edits_by_record()
        for _at, name, value in sorted(self._edits.get((kind, ref), []), key=lambda e: e[0]):
            if not name.startswith("__"):
                row[name] = value
        return row


REFERENCES = {
    "student_id": "person",
    "parent_id": "person",
    "child_id": "person",
    "person_id": "person",
    "group_id": "group",
    "subject_id": "subject",
    "lesson_id": "lesson",
    "period_id": "period",
}
"""Reference fields the signatures follow, and the kind each points to."""


class StoreRows:
    """The latest version of each record of one deployment (current or since deleted).

    References in the store are the other record's external id from the same
    source, so one deployment's rows are enough to follow them.
    """

    def __init__(self, engine: Engine, deployment: str) -> None:
        self.engine = engine
        self.deployment = deployment
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    def prefetch(self, kind: str, refs: Iterable[str]) -> None:
        """Load many rows of ``kind`` in a few queries (violations come by the hundred)."""
        wanted = sorted({r for r in refs if (kind, r) not in self._cache})
        if kind not in RECORD_TYPES or not wanted:
            return
        table = version_table(kind)
        found: dict[str, tuple[int, dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(table).where(table.c.external_id.in_(chunk))
                if self.deployment:
                    query = query.where(table.c.deployment == self.deployment)
                for r in conn.execute(query).mappings():
                    ext = str(r["external_id"])
                    rank = int(r["first_seen_run_id"] or 0)
                    current = r["superseded_run_id"] is None
                    order = rank + (1 << 40 if current else 0)
                    if ext not in found or found[ext][0] < order:
                        values = {k[2:]: v for k, v in r.items() if k.startswith("f_")}
                        found[ext] = (order, values)
        for ref in wanted:
            hit = found.get(ref)
            self._cache[(kind, ref)] = hit[1] if hit else None

    def prefetch_with_references(self, kind: str, refs: Iterable[str], depth: int = 2) -> None:
        """Rows and, ``depth`` levels down, the rows their signatures refer to, kind by kind."""
        layer: dict[str, set[str]] = {kind: set(refs)}
        for _ in range(depth + 1):
            following: dict[str, set[str]] = defaultdict(set)
            for k, ids in layer.items():
                self.prefetch(k, ids)
                for ref in ids:
                    row = self._cache.get((k, ref))
                    for name, target in REFERENCES.items():
                        value = row.get(name) if row else None
                        if value is not None:
                            following[target].add(str(value))
            layer = following

    def row(self, kind: str, ref: str | None) -> Mapping[str, Any] | None:
        if ref is None:
            return None
        key = (kind, str(ref))
        if key not in self._cache:
            self.prefetch(kind, [str(ref)])
        return self._cache.get(key)


# -- matching and scoring ---------------------------------------------------------------------

VIOLATED = "violated"
APPROVED = "approved"
POSSIBLY = "possibly_violated"
REFUSED = "refused"
"""A truth case whose right outcome is a refusal, not a finding: a stranger's ЕПГУ
application (``epgu.own_child_only``).  It matches the store's application refused as
«не подтверждён как законный представитель», or, where nothing has answered it yet (a
replay without the ЕПГУ pipeline), the rule's finding that it must not be served."""

OWN_CHILD_RULE = "epgu.own_child_only"
REGISTRY_RULE = "contingent.registry.match"
UNANSWERED = (EpguRequestStatus.RECEIVED.value, EpguRequestStatus.IN_PROGRESS.value)
HEALED_BY = (RegistryResult.ACCEPTED.value, RegistryResult.DUPLICATE.value)
"""Registry answers to our push that bring the registry up to date with the journal."""
REGISTRY_PULL_JOB = "sync.contingent"
"""The job of a registry pull (``pipelines.smev3.contingent.sync_contingent``)."""


@dataclass
class Item:
    """One side's entry for a rule: a label for reports, its state and signature levels.

    ``state`` is ``approved`` for an approved exception (a truth case expected
    approved, a violation in that state) and ``violated`` otherwise: a pair
    must agree on it, as in ``demo.scoring.score``.
    """

    rule_id: str
    label: str
    levels: Levels
    state: str = VIOLATED
    deployment: str = ""
    matched: str | None = None
    possibly: bool = False
    """A violation only possibly violated: the syncs were too sparse to tell (§8)."""
    healed: bool = False
    """A registry mismatch found, then resolved once the registry accepted our push."""

    @property
    def loosest(self) -> Key | None:
        known = [level for level in self.levels if level is not None]
        return known[-1] if known else None


@dataclass
class Matching:
    """The outcome per rule, with the pairs for a reader who wants to see why."""

    scores: list[RuleScore]
    pairs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    expected: list[Item] = field(default_factory=list)
    found: list[Item] = field(default_factory=list)
    duplicates: list[Item] = field(default_factory=list)
    """Violations of an entity another deployment already reported (one entity, two platforms)."""
    near_misses_flagged: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Per rule, (near miss, violation) pairs: an entry made in time that was reported anyway."""

    def extra_possibly(self) -> Counter[str]:
        """Unmatched violations per rule that are only «possibly violated»: sync spacing, not
        a wrong finding, when the truth knows the entry was in time."""
        return Counter(i.rule_id for i in self.found if i.matched is None and i.possibly)


def match_items(
    expected: Sequence[Item], found: Sequence[Item]
) -> dict[str, list[tuple[str, str]]]:
    """Pair items of the same rule and state by equal signatures, strict level first.

    At each level the unmatched items of both sides are grouped by (rule,
    state, key) and paired in label order, as many pairs as the smaller group
    has: a multiset match.
    """
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for level in range(LEVELS):
        left: dict[tuple[str, str, Key], list[Item]] = defaultdict(list)
        right: dict[tuple[str, str, Key], list[Item]] = defaultdict(list)
        for side, items in ((left, expected), (right, found)):
            for item in items:
                key = item.levels[level]
                if item.matched is None and key is not None:
                    side[(item.rule_id, item.state, key)].append(item)
        for group, items in left.items():
            others = right.get(group, [])
            for a, b in zip(
                sorted(items, key=lambda i: i.label),
                sorted(others, key=lambda i: i.label),
                strict=False,
            ):
                a.matched, b.matched = b.label, a.label
                pairs[a.rule_id].append((a.label, b.label))
    return dict(pairs)


def truth_items(truth: Mapping[str, Any], world: Any, section: str = "cases") -> list[Item]:
    """One item per planted (rule, entity): several cases on one entity are one violation.

    A case expected ``approved`` stands for an approved exception and one expected
    ``refused`` for a refusal (:data:`REFUSED`), unless a case of the same entity
    expects a violation.  ``section="near_misses"`` gives the entries that were in
    time (each stands for a violation that must not be there).
    """
    rows = WorldRows(world)
    states: dict[tuple[str, str, str], str] = {}
    for case in truth.get(section, []):
        if section != "cases":
            case = {**case, "expected": VIOLATED}
        wanted = case.get("expected", VIOLATED)
        if wanted not in (*EXPECTED_VERDICTS, APPROVED, REFUSED):
            continue
        key = (str(case["rule_id"]), str(case["entity_kind"]), str(case["entity_id"]))
        if states.get(key) != VIOLATED:
            states[key] = wanted if wanted in (APPROVED, REFUSED) else VIOLATED
    return [
        Item(rule_id, ref, signature(rows, kind, ref), state)
        for (rule_id, kind, ref), state in states.items()
    ]


def violation_items(engine: Engine, *, profile_id: str | None = None) -> list[Item]:
    """One item per (rule, deployment, entity) among the violations not resolved, plus
    the registry mismatches our own push healed (:func:`healed_by_push`).

    A rule that reports an entity once per period (marks.density) still
    stands for one planted entity.  A finding that a stranger's ЕПГУ application
    must not be served is :data:`REFUSED` while nothing has answered it, and a
    violation once it was served.
    """
    listed = list_violations(engine, profile_id=profile_id)
    healed = healed_by_push(engine, listed)
    violations = [v for v in listed if v["status"] != Status.RESOLVED.value or v["id"] in healed]
    sides: dict[str, StoreRows] = {}
    wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for v in violations:
        kind = ENTITY_KIND_ALIASES.get(v["entity_kind"], v["entity_kind"])
        wanted[(v["deployment"] or "", kind)].add(str(v["entity_key"]))
    for (deployment, kind), refs in wanted.items():
        side = sides.setdefault(deployment, StoreRows(engine, deployment))
        side.prefetch_with_references(kind, refs)
    states: dict[tuple[str, str, str, str], str] = {}
    certain: set[tuple[str, str, str, str]] = set()
    cured: set[tuple[str, str, str, str]] = set()
    for v in violations:
        key = (v["rule_id"], v["deployment"] or "", v["entity_kind"], str(v["entity_key"]))
        state = APPROVED if v["status"] == Status.APPROVED.value else VIOLATED
        if v["rule_id"] == OWN_CHILD_RULE and state == VIOLATED:
            request = sides[key[1]].row("epgu_request", key[3])
            if request is not None and enum_key(request.get("status")) in UNANSWERED:
                state = REFUSED
        if states.get(key) != VIOLATED:
            states[key] = state
        if v["verdict"] != POSSIBLY:
            certain.add(key)
        if v["id"] in healed:
            cured.add(key)
    return [
        Item(
            rule_id,
            f"{deployment}/{ref}",
            signature(sides[deployment], kind, ref),
            state,
            deployment,
            possibly=(rule_id, deployment, kind, ref) not in certain,
            healed=(rule_id, deployment, kind, ref) in cured,
        )
        for (rule_id, deployment, kind, ref), state in states.items()
    ]


def healed_by_push(engine: Engine, violations: Sequence[Mapping[str, Any]]) -> set[int]:
    """Ids of resolved ``contingent.registry.match`` violations that our push healed.

    The registry lags an order; the check finds the mismatch after a registry pull,
    Sverka pushes the order, the registry accepts it and the next pull shows it
    healed, so the violation is resolved.  It was found: it counts, and only when
    the registry accepted a push of ours for that student between the finding and
    its resolution, and the resolution came with the first registry pull after that
    acceptance.  A mismatch that outlived a pull after the accepted push was not
    healed by it (the registry accepted a card, say, and the mismatch went on until
    the journal changed): it still does not count.
    """
    resolved = [
        v
        for v in violations
        if v["rule_id"] == REGISTRY_RULE
        and v["status"] == Status.RESOLVED.value
        and v["resolved_at"] is not None
    ]
    if not resolved:
        return set()
    table = version_table("registry_feedback")
    accepted: dict[str, list[dt.datetime]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.f_student_id, table.c.f_received_at).where(
                table.c.f_result.in_(HEALED_BY), table.c.f_received_at.is_not(None)
            )
        )
        for student, received in rows:
            accepted[str(student)].append(_aware(received))
        pulls = sorted(
            _aware(at)
            for at in conn.execute(
                select(sync_run.c.observed_at).where(
                    sync_run.c.job == REGISTRY_PULL_JOB,
                    sync_run.c.status == RunStatus.SUCCEEDED.value,
                    sync_run.c.observed_at.is_not(None),
                )
            ).scalars()
        )

    def healed(v: Mapping[str, Any]) -> bool:
        found, gone = _aware(v["first_detected_at"]), _aware(v["resolved_at"])
        return any(
            found <= at <= gone and bisect_left(pulls, gone) <= bisect_right(pulls, at)
            for at in accepted.get(str(v["entity_key"]), [])
        )

    return {int(v["id"]) for v in resolved if healed(v)}


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def refusal_items(engine: Engine, rules: Iterable[str]) -> list[Item]:
    """The store's ЕПГУ applications refused because the applicant was not shown to be
    the child's representative, as :data:`REFUSED` items of ``epgu.own_child_only``.

    A planted stranger's application matches one; a real parent refused so (the
    journal lacked the link) is an extra the rule's precision counts.
    """
    if OWN_CHILD_RULE not in set(rules):
        return []
    table = version_table("epgu_request")
    by_deployment: dict[str, list[str]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.deployment, table.c.external_id).where(
                table.c.superseded_run_id.is_(None),
                table.c.f_status == EpguRequestStatus.REFUSED.value,
                table.c.f_status_reason == REFUSE_NOT_REPRESENTATIVE,
            )
        )
        for deployment, ref in rows:
            by_deployment[str(deployment or "")].append(str(ref))
    out: list[Item] = []
    for deployment, refs in sorted(by_deployment.items()):
        side = StoreRows(engine, deployment)
        side.prefetch("epgu_request", refs)
        out.extend(
            Item(
                OWN_CHILD_RULE,
                f"{deployment}/{ref}",
                signature(side, "epgu_request", ref),
                REFUSED,
                deployment,
            )
            for ref in sorted(refs)
        )
    return out


def merge_deployments(found: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """One entity reported from two platforms (journal and registry) counts once.

    Per (rule, state, loosest signature), only the deployment with the most
    items is kept: two equal records of one deployment still count twice.
    """
    groups: dict[tuple[str, str, Key], dict[str, list[Item]]] = defaultdict(
        lambda: defaultdict(list)
    )
    kept: list[Item] = []
    for item in found:
        key = item.loosest
        if key is None:
            kept.append(item)
        else:
            groups[(item.rule_id, item.state, key)][item.deployment].append(item)
    dropped: list[Item] = []
    for by_deployment in groups.values():
        best = max(sorted(by_deployment), key=lambda d: len(by_deployment[d]))
        for deployment, items in by_deployment.items():
            (kept if deployment == best else dropped).extend(items)
    return kept, dropped


def score_by_signature(
    engine: Engine,
    world: Any,
    truth: Mapping[str, Any],
    *,
    profile_id: str | None = None,
) -> Matching:
    """Precision and recall per planted rule of the truth, matching by natural signatures.

    The project's one scorer: the demo (a store filled through the platforms,
    with the platforms' ids), ``sverka check --against-ground-truth`` and the
    replay tests (a store with the scenario's own ids, whose signatures are
    the scenario's) all count here.  Violations not resolved are found (and a
    registry mismatch our push healed, :func:`healed_by_push`); an approved
    case matches an approved exception; a case expected ``refused`` matches a
    refusal (:data:`REFUSED`); rules the generator could not plant are left
    out.  A matched pair shares the truth's label, so ``missed`` lists
    scenario ids and ``extra`` lists ``deployment/external id`` of the store.
    """
    skipped = {str(n["rule_id"]) for n in truth.get("not_planted", [])}
    rules = [r for r in truth.get("rules") or [] if r not in skipped]
    expected = [i for i in truth_items(truth, world) if i.rule_id not in skipped]
    found, duplicates = merge_deployments(
        [
            i
            for i in violation_items(engine, profile_id=profile_id or truth.get("profile"))
            + refusal_items(engine, rules)
            if i.rule_id not in skipped
        ]
    )
    pairs = match_items(expected, found)
    near = [i for i in truth_items(truth, world, "near_misses") if i.rule_id not in skipped]
    leftovers = [replace(i, matched=None) for i in found if i.matched is None]
    flagged = match_items(near, leftovers)
    exp_labels: dict[str, list[str]] = defaultdict(list)
    got_labels: dict[str, list[str]] = defaultdict(list)
    for item in expected:
        exp_labels[item.rule_id].append(item.label)
    for item in found:
        got_labels[item.rule_id].append(item.matched or item.label)
    scores = tally(rules, exp_labels, got_labels)
    return Matching(scores, pairs, expected, found, duplicates, flagged)


def score(
    engine: Engine, world: Any, truth: Mapping[str, Any], profile_id: str | None = None
) -> list[RuleScore]:
    """The per-rule table of :func:`score_by_signature`."""
    return score_by_signature(engine, world, truth, profile_id=profile_id).scores


def unsigned(matching: Matching) -> Counter[str]:
    """Items per side and rule whose record was not found (no signature at all)."""
    out: Counter[str] = Counter()
    for side, items in (("truth", matching.expected), ("store", matching.found)):
        for item in items:
            if item.loosest is None:
                out[f"{side}:{item.rule_id}"] += 1
    return out


def summary_rows(matching: Matching) -> list[dict[str, Any]]:
    """One row per rule for a demo's table: the score plus why extras are extra.

    ``extra_possibly`` are «possibly violated» findings the syncs could not
    decide; ``near_misses_flagged`` are entries the truth knows were in time.
    """
    possibly = matching.extra_possibly()
    return [
        {
            "rule_id": s.rule_id,
            "expected": s.expected,
            "found": s.found,
            "true_positive": s.true_positive,
            "precision": s.precision,
            "recall": s.recall,
            "extra_possibly": possibly.get(s.rule_id, 0),
            "near_misses_flagged": len(matching.near_misses_flagged.get(s.rule_id, [])),
            "missed": list(s.missed),
        }
        for s in matching.scores
    ]
