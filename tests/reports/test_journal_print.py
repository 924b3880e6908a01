"""The printable journal: title page, the grid of marks and absences, lessons, period marks, signatures."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import Destination
from sqlalchemy import Engine

from reports.data import load_journal, pick_source, resolve_period
from reports.journal_print import (
    DATES_PER_PAGE,
    build_journal,
    class_journals,
    journal_pairs,
    write_journal,
)
from tests.reports.worlds import build, ingest_term


def test_journal_pdf_pages_and_text(engine: Engine, tmp_path: Path) -> None:
    data = build()
    ingest_term(engine, data)
    journal_data = load_journal(engine, pick_source(engine))
    period = resolve_period(journal_data, "1 семестр")
    journal = build_journal(journal_data, "g1", "sub1", period)

    lessons = [r for r in data["tables"]["lesson"]["rows"] if r[2] == "g1" and r[3] == "sub1"]
    assert len(journal.lessons) == len(lessons) > DATES_PER_PAGE // 2
    assert journal.total_hours == 2 * len(lessons)
    grid_pages = -(-len(lessons) // DATES_PER_PAGE)
    assert len(journal.grid) == grid_pages

    mcols = data["tables"]["mark"]["columns"]
    first = next(
        dict(zip(mcols, r, strict=True))
        for r in data["tables"]["mark"]["rows"]
        if r[5] is not None and r[3] == "sub1" and r[4] == "g1"
    )
    lesson_index = [r[0] for r in lessons].index(first["lesson_id"])
    page = journal.grid[lesson_index // DATES_PER_PAGE]
    row = next(
        r for r in page.rows if r[1] == journal_data.name_of(first["student_id"], short=True)
    )
    assert first["value"] in row[2][lesson_index % DATES_PER_PAGE].split()

    path = write_journal(journal, tmp_path)["pdf"]
    assert path.name == "zhurnal_is_21_matematika.pdf"
    pages = [p.extract_text() for p in PdfReader(path).pages]
    assert len(pages) == 1 + grid_pages + 1 + 1  # title, grid, lessons, period marks + signatures
    assert "Журнал учебных занятий" in pages[0] and "ИС-21" in pages[0] and "Математика" in pages[0]
    assert "Котова О. И." in pages[0] and "1 семестр" in pages[0]
    assert "Учёт успеваемости и посещаемости" in pages[1] and "02.09" in pages[1]
    assert "Записи уроков" in pages[-2] and lessons[0][7] in pages[-2]
    assert "Отметки за период" in pages[-1] and "М. П." in pages[-1] and "Директор" in pages[-1]
    assert "н/а" in pages[-1], "the planted «н/а» period mark is printed"


def test_every_assignment_gets_a_journal(engine: Engine) -> None:
    ingest_term(engine)
    journal_data = load_journal(engine, pick_source(engine))
    period = resolve_period(journal_data, "1 семестр")
    assert len(journal_pairs(journal_data, period)) == 5


def test_class_journal_is_one_book_with_a_bookmark_per_subject(
    engine: Engine, tmp_path: Path
) -> None:
    """As on paper, a class is one book: its title page lists the subjects and the page each
    starts on, every subject is a bookmark that opens its grid, and the book is signed once."""
    ingest_term(engine)
    journal_data = load_journal(engine, pick_source(engine))
    period = resolve_period(journal_data, "1 семестр")
    books = {b.group: b for b in class_journals(journal_data, period)}
    assert {g: [j.subject for j in b.subjects] for g, b in books.items()} == {
        "ИС-21": ["Информатика", "История", "Математика"],
        "ТМ-11": ["История", "Математика"],
    }
    book = books["ИС-21"]
    path = write_journal(book, tmp_path)["pdf"]
    assert path.name == "zhurnal_is_21.pdf"
    reader = PdfReader(path)
    pages = [p.extract_text() for p in reader.pages]
    level = next(item for item in reader.outline if isinstance(item, list))
    subjects = [mark for mark in level if isinstance(mark, Destination)]
    for journal, mark in zip(book.subjects, subjects, strict=True):
        assert mark.title == journal.subject
        first = reader.get_destination_page_number(mark)
        assert first is not None
        assert (
            "Учёт успеваемости и посещаемости" in pages[first] and journal.subject in pages[first]
        )
        # the contents line names the page the subject starts on (numbered from 1)
        line = next(line for line in pages[0].splitlines() if f" {journal.subject} " in line)
        assert line.split()[-1] == str(first + 1)
        assert f"журнал ИС-21 · {journal.subject} ·" in pages[first], "the footer names the subject"
    text = "\n".join(pages)
    lessons = [int(n) for n in re.findall(r"Итого\s+(\d+)\s+уроков", text)]
    assert lessons == [len(j.lessons) for j in book.subjects] and min(lessons) > 0
    assert sum("Директор" in p for p in pages) == 1 and "М. П." in pages[-1]
