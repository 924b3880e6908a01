"""Issue 12: the value checks of ``canonical.validate`` sit between every journal mapper and the
store (``pipelines.screening``): a bad value is reported by record and field and kept out, the
good records are kept, and a record left out whole is not taken as removed."""

from __future__ import annotations

from sqlalchemy import Engine

from canonical.base import Platform, SourceRef
from canonical.people import Person, Role
from canonical.validate import screen
from local_store.history import records_as_of
from local_store.ingest import ingest
from local_store.runs import start_run
from pipelines.screening import checked_snapshot


def _person(external_id: str, last: str, middle: str = "", snils: str | None = None) -> Person:
    return Person(
        source=SourceRef(platform=Platform.NETSCHOOL, deployment="d", external_id=external_id),
        last_name=last,
        first_name="Анна",
        middle_name=middle,
        roles=(Role.STUDENT,),
        snils=snils,
    )


def test_an_optional_bad_value_is_emptied_and_the_record_kept() -> None:
    good = _person("1", "Иванова")
    odd = _person("2", "Петрова", middle="Сер\x00геевна", snils="112-233-445 96")
    out = screen([good, odd])
    assert out.records[0] is good
    kept = out.records[1]
    assert isinstance(kept, Person)
    assert (kept.last_name, kept.middle_name, kept.snils) == ("Петрова", "", None)
    assert out.unread == set()
    assert out.problems == [
        "люди, запись «2», поле «отчество»: недопустимый служебный символ U+0000; "
        "значение не сохранено, остальные сведения записи загружены",
        "люди, запись «2», поле «СНИЛС»: неверная контрольная сумма СНИЛС; "
        "значение не сохранено, остальные сведения записи загружены",
    ]
    assert all("Петрова" not in p and "445" not in p for p in out.problems)


def test_a_bad_required_value_leaves_the_record_out_but_not_removed(engine: Engine) -> None:
    first = start_run(engine, "netschool", deployment="d", scope="s")
    ingest(engine, first, checked_snapshot("s", [_person("1", "Иванова"), _person("2", "Петрова")],
                                           ("person",), [], "NetSchool"))  # fmt: skip
    warnings: list[str] = []
    broken = _person("2", "Пет\x07рова")
    snapshot = checked_snapshot(
        "s", [_person("1", "Иванова-Смирнова"), broken], ("person",), warnings, "NetSchool"
    )
    assert snapshot.unread == {broken.source.key()}
    assert warnings == [
        "NetSchool: люди, запись «2», поле «фамилия»: недопустимый служебный символ U+0007; "
        "запись не загружена, прежние сведения о ней сохранены"
    ]
    second = start_run(engine, "netschool", deployment="d", scope="s")
    result = ingest(engine, second, snapshot)
    assert result.as_dict()["person"]["removed"] == 0
    names = sorted(r.last_name for r in records_as_of(engine, "person") if isinstance(r, Person))
    assert names == ["Иванова-Смирнова", "Петрова"]
    third = start_run(engine, "netschool", deployment="d", scope="s")
    ingest(engine, third, checked_snapshot("s", [_person("1", "Иванова")], ("person",), [], "N"))
    assert [r.source.external_id for r in records_as_of(engine, "person")] == ["1"]
