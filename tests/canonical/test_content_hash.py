"""The content hash is the store's change detector: the same content must keep the same hash
across versions of the code, or every store would see every record as changed."""

from __future__ import annotations

import datetime as dt

from canonical.base import Platform, SourceRef
from canonical.journal import Lesson, Mark
from canonical.people import Person, Role, Sex

SRC = SourceRef(platform=Platform.POO, deployment="poo.example", external_id="42")
OMSK = dt.timezone(dt.timedelta(hours=6))

MARK = Mark(
    source=SRC,
    student_id="s1",
    subject_id="math",
    lesson_id="l1",
    date=dt.date(2026, 9, 1),
    value="4-",
    numeric=4.0,
    comment="Контрольная «дроби»",
    entered_at=dt.datetime(2026, 9, 1, 18, 30, tzinfo=OMSK),
)
LESSON = Lesson(
    source=SRC,
    group_id="g1",
    subject_id="math",
    date=dt.date(2026, 9, 1),
    number=2,
    starts_at=dt.time(8, 30),
    topic="Тема урока",
    hours=2.0,
    entered_at=dt.datetime(2026, 9, 1, 3, 0, tzinfo=dt.UTC),
)
PERSON = Person(
    source=SRC,
    last_name="Иванова",
    first_name="Анна",
    roles=(Role.STUDENT,),
    birth_date=dt.date(2010, 5, 17),
    sex=Sex.FEMALE,
    snils="112-233-445 95",
)

# Computed by the implementation that wrote the existing stores; never regenerate these.
GOLDEN = {
    "mark": "1399014c77ba145bc631f72fac2da4e20867b8cd60e21328a13613c3d47cda9c",
    "lesson": "3c2b273f98356ba858e6514eca0be8aab1d007b026968967a879c17c1a0280cb",
    "person": "8c7358cc662a226995f6e590d1a9c0cae766dc050487f8b95396380af367699e",
}


def test_hashes_are_those_existing_stores_hold() -> None:
    assert MARK.content_hash() == GOLDEN["mark"]
    assert LESSON.content_hash() == GOLDEN["lesson"]
    assert PERSON.content_hash() == GOLDEN["person"]


def test_same_instant_in_another_offset_is_not_a_change() -> None:
    assert MARK.entered_at is not None
    in_utc = MARK.model_copy(update={"entered_at": MARK.entered_at.astimezone(dt.UTC)})
    assert in_utc.content_hash() == MARK.content_hash()
    other_source = MARK.model_copy(update={"source": SRC.model_copy(update={"external_id": "9"})})
    assert other_source.content_hash() == MARK.content_hash()


def test_any_field_change_changes_the_hash() -> None:
    assert MARK.model_copy(update={"value": "4"}).content_hash() != MARK.content_hash()
    assert PERSON.model_copy(update={"roles": (Role.PARENT,)}).content_hash() != (
        PERSON.content_hash()
    )
    assert LESSON.model_copy(update={"starts_at": None}).content_hash() != LESSON.content_hash()
