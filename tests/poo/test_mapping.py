"""mapping.poo and the wire models: tolerant of the documented variants, exact on values."""

from __future__ import annotations

import datetime as dt

from canonical import AbsenceCode, Homework, Lesson, Mark, MarkScale
from connectors.poo.wire import (
    Decree,
    GradebookEntry,
    GroupJournal,
    GroupRef,
    ScheduleSubject,
    Structure,
    StudentCard,
    StudentDay,
    StudentGroup,
    StudentSummary,
    SubjectAnswer,
    parse_wire_datetime,
)
from mapping.poo import MapContext, StudentIndex, map_group_journal, snake, teacher_index

CTX = MapContext("poo.tomedu.ru/spo_1", "Asia/Tomsk", "tpt")


def test_seven_digit_datetimes_and_dates() -> None:
    assert parse_wire_datetime("2026-09-01T08:30:15.1234567") == dt.datetime(
        2026, 9, 1, 8, 30, 15, 123456
    )
    assert parse_wire_datetime("2026-09-01T00:00:00.0000000") == dt.datetime(2026, 9, 1)
    assert parse_wire_datetime("2026-09-01") == dt.datetime(2026, 9, 1)
    assert snake("PracticalTraining") == "practical_training"


def test_classroom_shapes_of_both_server_versions() -> None:
    old = StudentDay.model_validate(
        {"date": "2026-09-01T00:00:00.0000000", "lessons": [{"startTime": "08:30",
         "endTime": "10:00", "timetable": {"classroom": {"id": 1, "name": "214", "building": "2"}}}]}
    )  # fmt: skip
    new = StudentDay.model_validate(
        {"date": "2026-09-01T00:00:00.0000000", "lessons": [{"startTime": "08:30",
         "endTime": "10:00", "timetable": {"classroom": {"id": 1, "name": "214", "buildingId": 2,
         "buildingName": "2"}}}, {"startTime": "10:10", "endTime": "11:40"}]}
    )  # fmt: skip
    for day in (old, new):
        assert day.lessons and day.lessons[0].timetable and day.lessons[0].timetable.classroom
        assert day.lessons[0].timetable.classroom.building_label == "2"


def _structure(students: list[StudentCard]) -> Structure:
    return Structure(
        organization=None,
        departments=[],
        groups=[StudentGroup(id=10, name="ИС-21")],
        employees=[],
        students=[StudentSummary.model_validate(s.model_dump()) for s in students],
        cards={s.id: s for s in students},
        entries={},
    )


def _card(number: int, last: str, first: str, group: int, since: str) -> StudentCard:
    return StudentCard(
        id=number,
        lastName=last,
        firstName=first,
        middleName="",
        studentGroup=GroupRef(id=group),
        decrees=[
            Decree(
                id=number * 10,
                type="Enroll",
                date=dt.datetime(2026, 8, 20),
                effectiveDate=dt.datetime.fromisoformat(since),
                studentGroup=GroupRef(id=group),
                number="1-к",
            )
        ],
    )


def _answer(
    marks: dict[str, object],
    lesson_type: str = "Lecture",
    plan_type: str = "Lecture",
    control_task: bool = True,
) -> SubjectAnswer:
    tasks: list[dict[str, object]] = [
        {"id": 92, "type": "Home", "topic": "§ 1", "condition": "задачи 1–3"}
    ]
    if control_task:
        tasks.insert(0, {"id": 91, "type": "Control", "topic": "Контрольная работа № 1"})
    return SubjectAnswer.model_validate(
        {
            "workingProgram": {"isApproved": True, "topics": [{"sectionIndex": 1, "index": 1,
                "name": "Раздел 1", "lessons": [{"id": 77, "type": plan_type, "duration": 2,
                "name": "Множества"}]}]},
            "teacher": "Петров И.П.",
            "students": [
                {"id": 501, "firstName": "Анна", "middleName": "", "lastName": "Иванова",
                 "startDate": "2026-09-01T00:00:00.0000000"},
                {"id": 502, "firstName": "Анна", "middleName": "", "lastName": "Иванова",
                 "startDate": "2026-09-08T00:00:00.0000000"},
            ],
            "lessons": [{"id": 9, "date": "2026-09-02T00:00:00.0000000", "type": lesson_type,
                "duration": 2, "startTime": "08:30", "endTime": "10:00",
                "plannedLessons": {"77": 2},
                "tasks": tasks,
                "markSets": marks}],
        }
    )  # fmt: skip


def test_marks_bare_word_or_object_and_namesakes_by_start_date() -> None:
    a = _card(1, "Иванова", "Анна", 10, "2026-09-01")
    b = _card(2, "Иванова", "Анна", 10, "2026-09-08")
    structure = _structure([a, b])
    entry = GradebookEntry(id=1000, termNumber=1, startDate=dt.datetime(2026, 9, 1),
                           endDate=dt.datetime(2026, 12, 28))  # fmt: skip
    answer = _answer(
        {
            "501": {"marks": {"91": "Five"}, "absenceType": None},
            "502": {"marks": {"91": {"value": "Success", "isRequired": True}},
                    "absenceType": "SickLeave"},
            "999": {"marks": {"91": "Two"}},
        }
    )  # fmt: skip
    journal = GroupJournal(
        StudentGroup(id=10, name="ИС-21"),
        [(entry, ScheduleSubject(id=5, name="Математика"), answer)],
    )
    mapped = map_group_journal(
        journal, structure, StudentIndex(structure), teacher_index(structure), CTX
    )
    records = [r for _, r in mapped.dated]
    marks = {m.student_id: m for m in records if isinstance(m, Mark)}
    assert marks["student:1"].value == "5" and marks["student:1"].numeric == 5.0
    assert marks["student:2"].value == "зч" and marks["student:2"].scale is MarkScale.PASS_FAIL
    assert marks["student:1"].task_id == "91" and marks["student:1"].work_kind_id == "Control"
    assert len(marks) == 2, "the unknown gradebook student 999 is reported, not guessed"
    assert any("999" in w for w in mapped.warnings)
    (lesson,) = [r for r in records if isinstance(r, Lesson)]
    assert lesson.topic == "Множества", "no themes: the topic comes from the planned lesson"
    assert lesson.plan_item_id == "77"
    (homework,) = [r for r in records if isinstance(r, Homework)]
    assert homework.text == "§ 1\nзадачи 1–3"
    (absence,) = [r for _, r in mapped.dated if r.kind == "absence"]
    assert absence.code is AbsenceCode.B  # type: ignore[attr-defined]


def test_student_outside_the_group_by_orders_is_found_by_a_unique_name() -> None:
    """Studies before the enrolment order is entered: no decree into the group yet."""
    newcomer = _card(3, "Яковлева", "Ника", 99, "2026-09-01")
    structure = _structure([newcomer])
    index = StudentIndex(structure)
    from connectors.poo.wire import GbStudent

    found = index.find(10, GbStudent(id=700, lastName="Яковлева", firstName="Ника"))
    assert found == 3
    twin = _card(4, "Яковлева", "Ника", 98, "2026-09-01")
    ambiguous = StudentIndex(_structure([newcomer, twin]))
    assert ambiguous.find(10, GbStudent(id=700, lastName="Яковлева", firstName="Ника")) is None


def test_words_outside_the_platforms_enums_are_reported_and_kept_out() -> None:
    """``NotAttested``, ``IsExempt`` and a lesson type ``Control`` were only our emulator's."""
    a = _card(1, "Иванова", "Анна", 10, "2026-09-01")
    b = _card(2, "Иванова", "Анна", 10, "2026-09-08")
    structure = _structure([a, b])
    entry = GradebookEntry(id=1000, termNumber=1, startDate=dt.datetime(2026, 9, 1),
                           endDate=dt.datetime(2026, 12, 28))  # fmt: skip
    answer = _answer(
        {
            "501": {"marks": {"91": "NotAttested"}, "absenceType": "IsExempt"},
            "502": {"marks": {"91": "Four"}, "absenceType": None},
        },
        lesson_type="Control",
        control_task=False,
    )
    journal = GroupJournal(
        StudentGroup(id=10, name="ИС-21"),
        [(entry, ScheduleSubject(id=5, name="Математика"), answer)],
    )
    mapped = map_group_journal(
        journal, structure, StudentIndex(structure), teacher_index(structure), CTX
    )
    records = [r for _, r in mapped.dated]
    marks = [m for m in records if isinstance(m, Mark)]
    assert [m.student_id for m in marks] == ["student:2"], "the good mark is kept"
    assert not [r for r in records if r.kind == "absence"]
    (lesson,) = [r for r in records if isinstance(r, Lesson)]
    assert lesson.lesson_type is None
    joined = "\n".join(mapped.warnings)
    for field_name, word in (
        ("markSets.marks.value", "NotAttested"),
        ("markSets.absenceType", "IsExempt"),
        ("type", "Control"),
    ):
        assert f"неизвестное значение «{word}» поля {field_name}" in joined
    assert "занятие 9" in joined


def test_a_lesson_with_a_control_task_is_a_control_work() -> None:
    structure = _structure([_card(1, "Иванова", "Анна", 10, "2026-09-01")])
    entry = GradebookEntry(id=1000, termNumber=1, startDate=dt.datetime(2026, 9, 1),
                           endDate=dt.datetime(2026, 12, 28))  # fmt: skip
    answer = _answer({}, lesson_type="Lesson", plan_type="Lesson")
    journal = GroupJournal(
        StudentGroup(id=10, name="ИС-21"),
        [(entry, ScheduleSubject(id=5, name="Математика"), answer)],
    )
    mapped = map_group_journal(
        journal, structure, StudentIndex(structure), teacher_index(structure), CTX
    )
    (lesson,) = [r for _, r in mapped.dated if isinstance(r, Lesson)]
    assert lesson.lesson_type == "control"
    (item,) = [r for r in mapped.plans if r.kind == "plan_item"]
    assert item.work_kind is None  # type: ignore[attr-defined]
    assert not [w for w in mapped.warnings if "неизвестное значение" in w]


def test_lessons_outside_the_days_are_not_mapped_the_plan_still_is() -> None:
    """A sync ingests its window's weeks only; the term's other lessons are not built at all."""
    a = _card(1, "Иванова", "Анна", 10, "2026-09-01")
    structure = _structure([a])
    entry = GradebookEntry(id=1000, termNumber=1, startDate=dt.datetime(2026, 9, 1),
                           endDate=dt.datetime(2026, 12, 28))  # fmt: skip
    journal = GroupJournal(
        StudentGroup(id=10, name="ИС-21"),
        [
            (
                entry,
                ScheduleSubject(id=5, name="Математика"),
                _answer({"501": {"marks": {"91": "Five"}}}),
            )
        ],
    )
    args = (journal, structure, StudentIndex(structure), teacher_index(structure), CTX)
    everything = map_group_journal(*args)
    inside = map_group_journal(*args, days=(dt.date(2026, 8, 31), dt.date(2026, 9, 6)))
    outside = map_group_journal(*args, days=(dt.date(2026, 9, 7), dt.date(2026, 9, 13)))
    assert {r.kind for _, r in everything.dated} == {"lesson", "homework", "mark"}
    assert inside.dated == everything.dated, "the lesson of 02.09 is inside the week"
    assert outside.dated == [], "no record of a lesson outside the days"
    assert outside.plans == everything.plans and outside.plans, "the КТП is the whole term's"
