"""Identity across sources: the key that matched, and no silent merge when a key misfires."""

from __future__ import annotations

import datetime as dt

from canonical.normalize import make_snils
from local_store.identity import MatchKey, PersonFacts, resolve_identities

BORN = dt.date(2008, 4, 1)
S1, S2 = make_snils(123_456_789), make_snils(223_456_789)


def journal(x: str, **kw: object) -> PersonFacts:
    values: dict[str, object] = {
        "last_name": "Иванова",
        "first_name": "Алёна",
        "birth_date": BORN,
        **kw,
    }
    return PersonFacts("person", "netschool", "ns", x, **values)  # type: ignore[arg-type]


def registry(x: str, **kw: object) -> PersonFacts:
    values: dict[str, object] = {
        "last_name": "ИВАНОВА",
        "first_name": "алена",
        "birth_date": BORN,
        **kw,
    }
    return PersonFacts("person", "contingent", "reg", x, **values)  # type: ignore[arg-type]


def test_snils_first_then_fio_birth_document() -> None:
    result = resolve_identities(
        [
            journal("j1", snils=S1, last_name="Петрова"),  # name differs: СНИЛС decides
            registry("r1", snils=S1),
            journal(
                "j2",
                document_series="7512",
                document_number="500001",
                birth_date=dt.date(2009, 1, 1),
            ),
            registry(
                "r2",
                document_series="75 12",
                document_number="500001",
                birth_date=dt.date(2009, 1, 1),
            ),
        ]
    )
    res = result.resolutions
    assert res[("person", "netschool", "ns", "j1")].match_key == MatchKey.SNILS
    assert (
        res[("person", "netschool", "ns", "j1")].person_key
        == res[("person", "contingent", "reg", "r1")].person_key
    )
    assert res[("person", "netschool", "ns", "j2")].match_key == MatchKey.FIO_BIRTH_DOCUMENT
    assert not result.issues


def test_bad_checksum_is_not_a_key_and_different_documents_do_not_merge() -> None:
    bad = S1[:-2] + ("00" if not S1.endswith("00") else "01")
    result = resolve_identities(
        [
            journal("j1", snils=bad, document_series="1", document_number="1"),
            registry("r1", snils=S2, document_series="1", document_number="2"),
        ]
    )
    assert result.resolutions[("person", "netschool", "ns", "j1")].match_key == MatchKey.UNMATCHED
    assert len(result.clusters()) == 2


def test_same_fio_birth_different_snils_is_a_conflict() -> None:
    result = resolve_identities([journal("j1", snils=S1), registry("r1", snils=S2)])
    assert [i.issue for i in result.issues] == ["conflict"]
    assert len(result.clusters()) == 2, "never merged silently"


def test_two_candidates_in_one_source_are_ambiguous() -> None:
    result = resolve_identities([journal("j1"), registry("r1"), registry("r2")])
    assert any(i.issue == "ambiguous" for i in result.issues)
    assert result.resolutions[("person", "netschool", "ns", "j1")].match_key == MatchKey.UNMATCHED
    one_snils = resolve_identities(
        [journal("j1", snils=S1), registry("r1", snils=S1), registry("r2", snils=S1)]
    )
    assert [i.issue for i in one_snils.issues] == ["ambiguous"]
    assert len(one_snils.clusters()) == 3
