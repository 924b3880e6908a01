"""The fault suite's probes, shared by ``tests/reliability`` (small) and ``benchmarks/chaos.py``
(large): each returns counts, so a test asserts the bad ones are zero and the benchmark
reports them."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical.base import Platform, SourceRef
from canonical.people import ParentLink, Person, Role, Sex
from canonical.requests import EpguRequest
from connectors.local_files.reader import FileReadError, read_table
from emulators.smev3.hostile import HOSTILE
from emulators.smev3.xmlsafe import HostileXmlError, OversizedXmlError, parse_untrusted
from mapping.local_files import LOCAL_KINDS, LocalTableError, map_rows
from policies.epgu import Requirements, decide

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Код;Фамилия;Имя;Роли"

# -- hypothesis fuzzing: the file reader and the institution-file mapper -------------------------


def fuzz_reader(cases: int, folder: Path) -> Counter[str]:
    """Random bytes and near-CSV text as a file: a table or a FileReadError, nothing else."""
    seen: Counter[str] = Counter()
    near_csv = st.lists(
        st.lists(st.text(alphabet='Код;Фамилия,Имя\t"|\x00Яa1\r\n ', max_size=12), max_size=6),
        max_size=6,
    ).map(lambda rows: "\n".join(";".join(r) for r in rows).encode("utf-8"))
    cell_text = st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=';\r\n"\x00'),
        max_size=15,
    )
    tables = st.tuples(
        st.lists(st.lists(cell_text, min_size=4, max_size=4), min_size=1, max_size=8),
        st.sampled_from(["utf-8", "cp1251"]),
    ).map(lambda t: "\r\n".join([HEADER, *(";".join(r) for r in t[0])]).encode(t[1], "replace"))
    payloads = st.one_of(st.binary(max_size=400), near_csv, tables)

    @settings(
        max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(payload=payloads)
    def probe(payload: bytes) -> None:
        path = folder / "fuzz.csv"
        path.write_bytes(payload)
        try:
            read_table(path)
            seen["read"] += 1
        except FileReadError as exc:
            assert str(path) in str(exc)
            seen["refused"] += 1
        except Exception as exc:
            seen[f"unhandled:{type(exc).__name__}"] += 1

    probe()
    seen["cases"] = cases
    return seen


def fuzz_local_mapper(cases: int) -> Counter[str]:
    """Random headers and cells for every kind: records, per-row problems or LocalTableError."""
    seen: Counter[str] = Counter()
    known = [
        "Фамилия",
        "Имя",
        "Роли",
        "Дата выдачи",
        "Родитель",
        "Ребёнок",
        "snils",
        "birth_date",
        "Человек",
        "Дата выдачи кода",
        "Дата отказа",
        "Примечание",
    ]
    with_id = st.lists(
        st.sampled_from([*known, "x", "Kod"]), min_size=0, max_size=5, unique=True
    ).map(lambda rest: ["Код", *rest])
    headers = st.one_of(with_id, with_id, with_id, st.lists(st.sampled_from(known), max_size=4))
    cell = st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            ["2026-09-01", "01.09.2026", "student", "parent", "112-233-445 95", "12-34", "", "p1"]
        ),
    )

    @settings(
        max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(kind=st.sampled_from(LOCAL_KINDS), header=headers, data=st.data())
    def probe(kind: str, header: list[str], data: st.DataObject) -> None:
        rows = data.draw(st.lists(st.fixed_dictionaries({h: cell for h in header}), max_size=5))
        try:
            mapped = map_rows(
                kind, list(enumerate(rows, start=2)), deployment="d", where="f.csv", header=header
            )
            seen["mapped"] += 1
            if mapped.problems:
                seen["rows_reported"] += len(mapped.problems)
        except LocalTableError:
            seen["refused"] += 1
        except Exception as exc:
            seen[f"unhandled:{type(exc).__name__}"] += 1

    probe()
    seen["cases"] = cases
    return seen


# -- the ЕПГУ decision against a known truth ---------------------------------------------------


def _src(external_id: str) -> SourceRef:
    return SourceRef(platform=Platform.NETSCHOOL, deployment="ns", external_id=external_id)


def epgu_trials(cases: int, seed: int = 1) -> Counter[str]:
    """Random families and applications whose truth is known; none may be wrongly served."""
    rng = random.Random(seed)
    seen: Counter[str] = Counter()
    names = ["Петров", "Иванов", "Сидоров"]
    firsts = ["Игорь", "Анна", "Олег"]
    for _ in range(cases):
        people, links = [], []
        for f in range(3):
            child = Person(
                source=_src(f"s{f}"),
                last_name=rng.choice(names),
                first_name=rng.choice(firsts),
                roles=(Role.STUDENT,),
                birth_date=rng.choice([dt.date(2014, 1, f + 1), None]),
            )
            parent = Person(
                source=_src(f"p{f}"),
                last_name=rng.choice(names),
                first_name=rng.choice(firsts),
                roles=(Role.PARENT,),
                birth_date=rng.choice([dt.date(1985, 1, f + 1), None]),
                sex=rng.choice([Sex.MALE, None]),
            )
            people += [child, parent]
            links.append(ParentLink(source=_src(f"l{f}"), parent_id=f"p{f}", child_id=f"s{f}"))
        asked_child = rng.choice(people[0::2])
        asked_parent = rng.choice(people[1::2])
        truly_parent = asked_child.source.external_id[1:] == asked_parent.source.external_id[1:]
        request = EpguRequest(
            source=SourceRef(platform=Platform.EPGU, deployment="e", external_id="o"),
            order_id="o",
            received_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
            applicant_last_name=asked_parent.last_name,
            applicant_first_name=asked_parent.first_name,
            applicant_birth_date=rng.choice([asked_parent.birth_date, None, dt.date(1985, 1, 1)]),
            child_last_name=asked_child.last_name,
            child_first_name=asked_child.first_name,
            child_birth_date=rng.choice([asked_child.birth_date, None, dt.date(2014, 1, 1)]),
            period_from=dt.date(2026, 9, 1),
            period_to=dt.date(2026, 9, 30),
        )
        decision = decide(request, people, links, Requirements(card=("sex",)))
        seen["requests"] += 1
        seen["truly_parent"] += truly_parent
        if decision.provide:
            seen["served"] += 1
            if not _justified(request, decision.child, decision.parent, links):
                seen["wrongly_served"] += 1
    return seen


def _justified(
    request: EpguRequest, child: Person | None, parent: Person | None, links: list[ParentLink]
) -> bool:
    """Served only to a linked parent whose name and birth date, and whose child's, are all
    present and equal to the application's."""
    if child is None or parent is None:
        return False
    linked = any(
        link.child_id == child.source.external_id and link.parent_id == parent.source.external_id
        for link in links
    )
    return (
        linked
        and None not in (request.child_birth_date, request.applicant_birth_date)
        and (child.last_name, child.first_name, child.birth_date)
        == (request.child_last_name, request.child_first_name, request.child_birth_date)
        and (parent.last_name, parent.first_name, parent.birth_date)
        == (request.applicant_last_name, request.applicant_first_name, request.applicant_birth_date)
    )


# -- hostile XML ---------------------------------------------------------------------------------


def hostile_xml() -> Counter[str]:
    seen: Counter[str] = Counter()
    for kind, payload in HOSTILE.items():
        seen["inputs"] += 1
        try:
            parse_untrusted(payload)
            seen[f"accepted:{kind}"] += 1
        except (HostileXmlError, OversizedXmlError):
            seen["refused"] += 1
    return seen


# -- kill -9: first migrations and the institution-file pipeline --------------------------------

KILL_SCRIPT = """
import os, signal, sys
from sqlalchemy import event
from local_store.engine import make_engine, migrate
url, mode, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = make_engine(url)
if mode == "import":
    migrate(engine)
seen = 0
@event.listens_for(engine, "after_cursor_execute")
def _die(conn, cursor, statement, *args):
    global seen
    words = ("CREATE", "ALTER", "DROP") if mode == "migrate" else ("INSERT", "UPDATE", "DELETE")
    if statement.lstrip().upper().startswith(words):
        seen += 1
        if seen >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
if mode == "migrate":
    migrate(engine)
else:
    from pipelines.local_files import import_local_file
    import_local_file(engine, sys.argv[4], "person", deployment="local:chaos")
    import_local_file(engine, sys.argv[5], "person", deployment="local:chaos")
"""


def _people_file(folder: Path, name: str, ids: range) -> Path:
    path = folder / name
    path.write_text(
        "\n".join([HEADER, *[f"p{i};Иванов{i};Пётр;student" for i in ids]]), encoding="utf-8"
    )
    return path


def kill_trials(trials: int, make_url: Callable[[str], str], seed: int = 1) -> Counter[str]:
    """kill -9 at random statements of first migrations and of two file imports; then an
    ordinary run; compare with an uninterrupted run: nothing lost, doubled or half-written."""
    from sqlalchemy import inspect

    from local_store.engine import make_engine, migrate
    from local_store.history import records_as_of
    from pipelines.local_files import import_local_file

    rng = random.Random(seed)
    seen: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first = _people_file(folder, "first.csv", range(40))
        second = _people_file(folder, "second.csv", range(1, 41))
        reference = make_engine(make_url("reference"))
        migrate(reference)
        import_local_file(reference, first, "person", deployment="local:chaos")
        import_local_file(reference, second, "person", deployment="local:chaos")
        expected_tables = set(inspect(reference).get_table_names())
        expected = sorted(
            (r.source.external_id, r.content_hash()) for r in records_as_of(reference, "person")
        )
        reference.dispose()
        for trial in range(trials):
            mode = "migrate" if trial % 2 == 0 else "import"
            url = make_url(f"t{trial}")
            kill_at = rng.randint(1, 60 if mode == "migrate" else 120)
            died = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    KILL_SCRIPT,
                    url,
                    mode,
                    str(kill_at),
                    str(first),
                    str(second),
                ],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                timeout=300,
            )
            seen["trials"] += 1
            seen["killed" if died.returncode == -signal.SIGKILL else "finished"] += 1
            engine = make_engine(url)
            migrate(engine)
            if set(inspect(engine).get_table_names()) != expected_tables:
                seen["half_written_schema"] += 1
            import_local_file(engine, first, "person", deployment="local:chaos")
            import_local_file(engine, second, "person", deployment="local:chaos")
            got = sorted(
                (r.source.external_id, r.content_hash()) for r in records_as_of(engine, "person")
            )
            ids = [g[0] for g in got]
            want = dict(expected)
            seen["lost"] += len(set(want) - set(ids))
            seen["extra"] += len(set(ids) - set(want))
            seen["duplicated"] += len(ids) - len(set(ids))
            seen["half_written"] += sum(1 for i, h in got if i in want and want[i] != h)
            engine.dispose()
    return seen


def zero(counts: Counter[str], *names: str) -> dict[str, Any]:
    return {n: counts.get(n, 0) for n in names}
