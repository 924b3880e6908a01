"""Identity across sources: which records of different platforms are one person.

Records are never merged silently.  A record joins another source's record
only on a key that is strong enough, tried in this order:

1. the same СНИЛС, and only a СНИЛС whose checksum is valid;
2. the same normalised ФИО and birth date and the same identity document;
3. the same normalised ФИО and birth date when one side has no document.

A key that points at two records of one source (two students with one СНИЛС,
two namesakes born the same day) is *ambiguous*; the same ФИО and birth date
with two different valid СНИЛС is a *conflict*.  Both become discrepancies
and the records stay apart.  Every resolution says which key joined it, so a
deputy can be told why two records were taken for one person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from canonical.normalize import SnilsError, name_key, snils_digits, validate_snils

RefKey = tuple[str, str, str, str]
"""(record kind, platform, deployment, external id)."""


class MatchKey:
    SNILS = "snils"
    FIO_BIRTH_DOCUMENT = "fio_birth_document"
    FIO_BIRTH = "fio_birth"
    UNMATCHED = "unmatched"


MATCH_KEY_RU = {
    MatchKey.SNILS: "СНИЛС",
    MatchKey.FIO_BIRTH_DOCUMENT: "ФИО, дата рождения и документ",
    MatchKey.FIO_BIRTH: "ФИО и дата рождения (документа нет у одной из сторон)",
    MatchKey.UNMATCHED: "не сопоставлен",
}

_STRENGTH = {
    MatchKey.SNILS: 3,
    MatchKey.FIO_BIRTH_DOCUMENT: 2,
    MatchKey.FIO_BIRTH: 1,
    MatchKey.UNMATCHED: 0,
}


@dataclass(frozen=True)
class PersonFacts:
    """What identity resolution needs of one record that describes a person."""

    record_kind: str
    platform: str
    deployment: str
    external_id: str
    last_name: str
    first_name: str
    middle_name: str = ""
    birth_date: dt.date | None = None
    snils: str | None = None
    document_type: str | None = None
    document_series: str | None = None
    document_number: str | None = None

    @property
    def ref(self) -> RefKey:
        return (self.record_kind, self.platform, self.deployment, self.external_id)

    @property
    def source(self) -> tuple[str, str]:
        return (self.platform, self.deployment)

    def valid_snils(self) -> str | None:
        """The eleven digits of a СНИЛС with a valid checksum, else ``None``."""
        if not self.snils:
            return None
        try:
            validate_snils(self.snils)
            return snils_digits(self.snils)
        except SnilsError:
            return None

    def fio_birth(self) -> tuple[str, dt.date] | None:
        if self.birth_date is None or not self.last_name:
            return None
        return (name_key(self.last_name, self.first_name, self.middle_name), self.birth_date)

    def document(self) -> str | None:
        digits = "".join(
            ch for ch in f"{self.document_series or ''}{self.document_number or ''}" if ch.isalnum()
        )
        return digits.upper() or None


@dataclass(frozen=True)
class Resolution:
    ref: RefKey
    person_key: str
    match_key: str
    matched_with: tuple[RefKey, ...]


@dataclass(frozen=True)
class IdentityIssue:
    """Records that could not be joined safely."""

    issue: str
    """``ambiguous`` or ``conflict``."""
    key: str
    """The matching key that misfired (``snils`` or ``fio_birth``)."""
    refs: tuple[RefKey, ...]


@dataclass
class IdentityResult:
    resolutions: dict[RefKey, Resolution] = field(default_factory=dict)
    issues: list[IdentityIssue] = field(default_factory=list)

    def clusters(self) -> dict[str, list[RefKey]]:
        out: dict[str, list[RefKey]] = defaultdict(list)
        for ref, res in self.resolutions.items():
            out[res.person_key].append(ref)
        return dict(out)


class _Clusters:
    """Union-find that refuses to put two records of one source into one person."""

    def __init__(self, facts: Sequence[PersonFacts]) -> None:
        self.parent: dict[RefKey, RefKey] = {f.ref: f.ref for f in facts}
        self.sources: dict[RefKey, set[tuple[str, str, str]]] = {
            f.ref: {(f.record_kind, *f.source)} for f in facts
        }
        self.key: dict[RefKey, str] = {f.ref: MatchKey.UNMATCHED for f in facts}

    def find(self, ref: RefKey) -> RefKey:
        while self.parent[ref] != ref:
            self.parent[ref] = self.parent[self.parent[ref]]
            ref = self.parent[ref]
        return ref

    def can_join(self, a: RefKey, b: RefKey) -> bool:
        ra, rb = self.find(a), self.find(b)
        return ra == rb or not (self.sources[ra] & self.sources[rb])

    def join(self, a: RefKey, b: RefKey, key: str) -> None:
        ra, rb = self.find(a), self.find(b)
        for ref in (a, b):
            if _STRENGTH[key] > _STRENGTH[self.key[ref]]:
                self.key[ref] = key
        if ra == rb:
            return
        self.parent[rb] = ra
        self.sources[ra] |= self.sources.pop(rb)


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def resolve_identities(facts: Iterable[PersonFacts]) -> IdentityResult:
    """Group records into persons; report what could not be grouped safely."""
    items = list({f.ref: f for f in facts}.values())
    clusters = _Clusters(items)
    result = IdentityResult()
    blocked: set[RefKey] = set()

    by_snils: dict[str, list[PersonFacts]] = defaultdict(list)
    for f in items:
        digits = f.valid_snils()
        if digits:
            by_snils[digits].append(f)
    for group in by_snils.values():
        if len(group) < 2:
            continue
        per_source = defaultdict(list)
        for f in group:
            per_source[(f.record_kind, *f.source)].append(f)
        if any(len(v) > 1 for v in per_source.values()):
            result.issues.append(
                IdentityIssue("ambiguous", MatchKey.SNILS, tuple(sorted(f.ref for f in group)))
            )
            blocked.update(f.ref for f in group)
            continue
        for other in group[1:]:
            clusters.join(group[0].ref, other.ref, MatchKey.SNILS)

    by_fio: dict[tuple[str, dt.date], list[PersonFacts]] = defaultdict(list)
    for f in items:
        key = f.fio_birth()
        if key is not None and f.ref not in blocked:
            by_fio[key].append(f)
    for group in by_fio.values():
        if len(group) < 2:
            continue
        _join_by_fio(group, clusters, result)

    snils_of = {f.ref: f.valid_snils() for f in items}
    fio_of = {f.ref: f.fio_birth() for f in items}
    members: dict[RefKey, list[RefKey]] = defaultdict(list)
    for f in items:
        members[clusters.find(f.ref)].append(f.ref)
    candidates: dict[RefKey, str] = {}
    for root, refs in members.items():
        refs.sort()
        snils = sorted({s for r in refs if (s := snils_of[r])})
        fio = sorted({(k[0], k[1].isoformat()) for r in refs if (k := fio_of[r])})
        if snils:
            candidates[root] = "P" + _digest("snils", snils[0])
        elif fio:
            candidates[root] = "P" + _digest("fio", *fio[0])
        else:
            candidates[root] = "P" + _digest("ref", *refs[0])
    # Records kept apart (ambiguous, conflicting) must not share a key by accident.
    used = Counter(candidates.values())
    for root, refs in members.items():
        person_key = candidates[root]
        if used[person_key] > 1:
            person_key = "P" + _digest("ref", *refs[0])
        for ref in refs:
            result.resolutions[ref] = Resolution(
                ref=ref,
                person_key=person_key,
                match_key=clusters.key[ref] if len(refs) > 1 else MatchKey.UNMATCHED,
                matched_with=tuple(r for r in refs if r != ref),
            )
    return result


def _join_by_fio(group: list[PersonFacts], clusters: _Clusters, result: IdentityResult) -> None:
    """Join namesakes born the same day across sources when their documents allow it."""
    pairs: list[tuple[PersonFacts, PersonFacts, str]] = []
    for i, a in enumerate(group):
        for b in group[i + 1 :]:
            if (a.record_kind, *a.source) == (b.record_kind, *b.source):
                continue
            if clusters.find(a.ref) == clusters.find(b.ref):
                continue
            sa, sb = a.valid_snils(), b.valid_snils()
            if sa and sb and sa != sb:
                result.issues.append(
                    IdentityIssue("conflict", MatchKey.FIO_BIRTH, tuple(sorted((a.ref, b.ref))))
                )
                continue
            da, db = a.document(), b.document()
            if da and db:
                if da == db:
                    pairs.append((a, b, MatchKey.FIO_BIRTH_DOCUMENT))
                continue
            pairs.append((a, b, MatchKey.FIO_BIRTH))
    # A record with two candidates in one other source is ambiguous: join neither.
    candidates: dict[tuple[RefKey, tuple[str, str, str]], list[RefKey]] = defaultdict(list)
    for a, b, _ in pairs:
        candidates[(a.ref, (b.record_kind, *b.source))].append(b.ref)
        candidates[(b.ref, (a.record_kind, *a.source))].append(a.ref)
    ambiguous: set[RefKey] = set()
    for (ref, _src), others in candidates.items():
        if len(others) > 1:
            result.issues.append(
                IdentityIssue("ambiguous", MatchKey.FIO_BIRTH, tuple(sorted([ref, *others])))
            )
            ambiguous.add(ref)
    pairs.sort(key=lambda p: -_STRENGTH[p[2]])
    for a, b, key in pairs:
        if a.ref in ambiguous or b.ref in ambiguous:
            continue
        if clusters.can_join(a.ref, b.ref):
            clusters.join(a.ref, b.ref, key)
        else:
            result.issues.append(IdentityIssue("ambiguous", key, tuple(sorted((a.ref, b.ref)))))
