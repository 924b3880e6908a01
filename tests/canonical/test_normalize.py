"""Normalisers: СНИЛС checksum on real and edge values, ФИО, time zones."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from canonical import Mark, Platform, SourceRef
from canonical.normalize import (
    SnilsError,
    at_local,
    format_snils,
    is_valid_snils,
    local_date,
    make_snils,
    name_key,
    normalize_name_part,
    snils_checksum,
    split_full_name,
    to_utc,
    validate_snils,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The Pension Fund's published worked example: 112-233-445 95.
        ("112-233-445 95", "112-233-445 95"),
        ("11223344595", "112-233-445 95"),
        ("112 233 445 95", "112-233-445 95"),
        # Sum exactly 100 and 101 give control 00.
        ("000-000-0XX 00".replace("0XX", "0" + "01"), "000-000-001 00"),
    ],
)
def test_valid_snils_is_formatted(value: str, expected: str) -> None:
    assert validate_snils(value) == expected


def test_checksum_rules_at_the_edges() -> None:
    # digits weighted 9..1; choose numbers whose weighted sums hit 99, 100, 101, 102 and 201.
    assert snils_checksum(int("000000011")) == 2 * 1 + 1 * 1  # small sums are the checksum itself
    wanted = {99, 100, 101, 102, 201}
    sums: dict[int, int] = {}
    for number in range(1_001_999, 999_999_999, 7_919):
        total = sum(int(d) * (9 - i) for i, d in enumerate(f"{number:09d}"))
        if total in wanted:
            sums.setdefault(total, number)
        if len(sums) == len(wanted):
            break
    assert snils_checksum(sums[99]) == 99
    assert snils_checksum(sums[100]) == 0
    assert snils_checksum(sums[101]) == 0
    assert snils_checksum(sums[102]) == 1
    assert snils_checksum(sums[201]) == 0, "201 % 101 = 100, which is written 00"


def test_wrong_checksum_is_rejected_with_reason() -> None:
    with pytest.raises(SnilsError, match="контрольная сумма"):
        validate_snils("112-233-445 96")
    assert not is_valid_snils("112-233-445 96")


def test_numbers_up_to_001_001_998_are_not_checked() -> None:
    assert validate_snils("001-001-998 77") == "001-001-998 77"
    assert validate_snils("000-000-001 99") == "000-000-001 99"
    with pytest.raises(SnilsError):
        validate_snils("001-001-999 77")  # the first checked number


@pytest.mark.parametrize("value", ["", "123", "112-233-445-9", "1122334459a", "112-233-445 955"])
def test_malformed_snils_is_rejected(value: str) -> None:
    with pytest.raises(SnilsError, match="11 цифр"):
        validate_snils(value)


def test_make_snils_always_validates() -> None:
    for number in (1_002_000, 123_456_789, 987_654_321, 999_999_999):
        assert is_valid_snils(make_snils(number))
    assert format_snils("98765432100").startswith("987-654-321")


def test_names_normalise_case_spaces_and_yo() -> None:
    assert normalize_name_part("  иванова-петрова ") == "Иванова-Петрова"
    assert normalize_name_part("ОГЛЫ") == "Оглы"
    assert name_key("Ёлкина", "Алёна", "Сергеевна") == name_key(" ЕЛКИНА", "алена ", "СЕРГЕЕВНА")
    assert name_key("Ёлкина", "Алёна") != name_key("Ёлкина", "Алина")
    assert split_full_name("  петров   пётр ") == ("Петров", "Пётр", "")
    with pytest.raises(ValueError):
        split_full_name("   ")


def test_time_zones() -> None:
    tomsk = at_local(dt.date(2026, 9, 7), dt.time(20, 0), "Asia/Tomsk")
    assert to_utc(tomsk) == dt.datetime(2026, 9, 7, 13, 0, tzinfo=dt.UTC)
    # 23:30 in Samara is already the next day in Tomsk.
    samara_late = at_local(dt.date(2026, 9, 7), dt.time(23, 30), "Europe/Samara")
    assert local_date(samara_late, "Asia/Tomsk") == dt.date(2026, 9, 8)
    assert to_utc(dt.datetime(2026, 9, 7, 20, 0), "Asia/Tomsk") == tomsk
    with pytest.raises(ValueError):
        to_utc(dt.datetime(2026, 9, 7, 20, 0))


def test_records_are_strict() -> None:
    source = SourceRef(platform=Platform.POO, deployment="poo.tomedu.ru", external_id="1")
    with pytest.raises(ValidationError):
        Mark(source=source, student_id="s", subject_id="m", value="5", unknown_field=1)  # type: ignore[call-arg]
    mark = Mark(source=source, student_id="s", subject_id="m", value="5")
    assert (
        mark.content_hash()
        == Mark(source=source, student_id="s", subject_id="m", value="5").content_hash()
    )
    assert mark.content_hash() != mark.model_copy(update={"value": "4"}).content_hash()
