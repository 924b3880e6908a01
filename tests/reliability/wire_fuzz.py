"""Hypothesis fuzzing of the platform mappers with payloads built from the connectors' wire
models: every field of every wire model (and of the pull dataclasses around them) gets values
of its type, its text drawn from hostile samples (control characters, bad СНИЛС, over-long
names).  Each probe maps a payload and screens it as the pipelines do; it counts what came
out: payloads mapped, values kept out (each with a Russian sentence naming the record and the
field), whole payloads the canonical model refused, and anything else (``unhandled:…``, which
must stay 0), and values that got through bad (``bad_value_stored``, 0).  Shared by ``tests/reliability`` (small) and ``benchmarks/chaos.py`` (large).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from canonical.base import Record
from canonical.validate import check_value, screen

HOSTILE = [
    "",
    " ",
    "Иванов Иван Иванович",
    "Петрова",
    "112-233-445 95",
    "112-233-445 96",
    "12-34",
    "Ива\x00нов",
    "Сер\x07геевна",
    "строка\nвторая",
    "\ufeffБОМ",
    "Я" * 150,
    "5",
    "4+",
    "2",
    "н",
    "Б",
    "УП",
    "зачёт",
    "2026-09-01",
    "2026-09-01T10:00:00",
    "10:00",
    "1",
    "0",
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(HOSTILE),
    st.text(max_size=12),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
    st.just("ж" * 12_000),
)
CYRILLIC = re.compile("[А-Яа-яЁё]")
DATES = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
IDS = st.integers(0, 4)


def strategy_for(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the annotated type ``tp``: wire models and dataclasses field by field."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any or tp is object:
        return st.one_of(st.none(), TEXT, IDS)
    if tp is type(None) or tp is None:
        return st.none()
    if origin is typing.Annotated:
        return strategy_for(args[0], depth)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a, depth) for a in args))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (list, set, frozenset) or (origin is tuple and len(args) == 2 and args[1] is ...):
        size = 0 if depth > 4 else 2
        items = st.lists(strategy_for(args[0], depth + 1), max_size=size)
        wrap: Callable[[list[Any]], Any] = {list: list, set: set, frozenset: frozenset}.get(
            origin, tuple
        )
        return items.map(wrap)
    if origin is tuple:
        return st.tuples(*(strategy_for(a, depth + 1) for a in args))
    if origin is dict or (origin is not None and getattr(origin, "__name__", "") == "Mapping"):
        size = 0 if depth > 4 else 2
        return st.dictionaries(
            strategy_for(args[0], depth + 1), strategy_for(args[1], depth + 1), max_size=size
        )
    if isinstance(tp, type):
        return _plain(tp, depth)
    raise TypeError(f"no strategy for {tp!r}")


def _plain(tp: type, depth: int) -> st.SearchStrategy[Any]:
    if issubclass(tp, bool):
        return st.booleans()
    if issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if issubclass(tp, int):
        return st.one_of(IDS, st.integers(-(2**31), 2**31))
    if issubclass(tp, float):
        return st.one_of(st.floats(-5, 100), st.sampled_from([0.0, 1.0, 2.0]))
    if issubclass(tp, Decimal):
        return st.decimals(-100, 100, places=2)
    if issubclass(tp, str):
        return TEXT
    if issubclass(tp, dt.datetime):
        return st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31))
    if issubclass(tp, dt.date):
        return DATES
    if issubclass(tp, dt.time):
        return st.times()
    if issubclass(tp, BaseModel):
        return _model(tp, depth)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        fields = {
            f.name: strategy_for(hints[f.name], depth + 1) for f in dataclasses.fields(tp) if f.init
        }
        return st.builds(tp, **fields)
    raise TypeError(f"no strategy for {tp!r}")


def _model(model: type[BaseModel], depth: int) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(model, include_extras=True)
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        target = required if info.is_required() else optional
        target[key] = strategy_for(hints[name], depth + 1)

    def build(values: dict[str, Any]) -> BaseModel | None:
        try:
            return model.model_validate(values)
        except ValidationError:
            return None  # what the connector refuses never reaches a mapper

    return (
        st.fixed_dictionaries(required, optional=optional)
        .map(build)
        .filter(lambda m: m is not None)
    )


def _tally(seen: Counter[str], outputs: Iterable[Record]) -> None:
    """Screen what a mapper produced and check nothing bad got through."""
    screened = screen(list(outputs))
    seen["records_kept"] += len(screened.records)
    seen["values_kept_out"] += len(screened.problems)
    seen["records_left_out"] += len(screened.unread)
    for problem in screened.problems:
        if not (problem.count("«") >= 2 and "поле" in problem and "запись" in problem):
            seen["unclear_problem"] += 1
    for record in screened.records:
        for name, value in record.__dict__.items():
            if isinstance(value, str) and check_value(name, value)[1] is not None:
                seen["bad_value_stored"] += 1


def fuzz(
    cases: int,
    payload: st.SearchStrategy[Any],
    mapper: Callable[[Any], Iterable[Record]],
    derandomize: bool = False,
) -> Counter[str]:
    seen: Counter[str] = Counter()

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=payload)
    def probe(data: Any) -> None:
        seen["cases"] += 1
        try:
            records = list(mapper(data))
        except ValidationError:
            # Pipelines record this as a failed run with a Russian sentence, writing nothing.
            seen["refused_by_canonical_model"] += 1
            return
        except ValueError as exc:
            if CYRILLIC.search(str(exc)) and "«" in str(exc):
                # A Russian sentence naming the record: the run fails, nothing is written.
                seen["refused_whole_run"] += 1
                return
            seen[f"unhandled:ValueError:{str(exc)[:60]}"] += 1
            return
        except Exception as exc:
            seen[f"unhandled:{type(exc).__name__}:{str(exc)[:60]}"] += 1
            return
        seen["mapped"] += 1
        _tally(seen, records)

    probe()
    return seen


# -- the four mappers --------------------------------------------------------------------------


def fuzz_netschool(cases: int, derandomize: bool = False) -> Counter[str]:
    from connectors.netschool.wire import InstitutionPull
    from mapping.netschool import Source, map_journal_entries, map_structure, map_totals

    source = Source("ns.example", "Europe/Moscow")

    def mapper(pull: InstitutionPull) -> list[Record]:
        records = map_structure(pull, source)
        for totals in pull.totals.values():
            records += map_totals(totals, pull.terms, source)
        for weeks in pull.journal.values():
            for entries in weeks.values():
                records += map_journal_entries(entries, pull.types, source)
        return records

    return fuzz(cases, strategy_for(InstitutionPull), mapper, derandomize)


def fuzz_poo(cases: int, derandomize: bool = False) -> Counter[str]:
    from connectors.poo.wire import GroupJournal, Structure
    from mapping.poo import (
        MapContext,
        StudentIndex,
        map_group_journal,
        map_structure,
        teacher_index,
    )

    ctx = MapContext("poo.example/t1", "Asia/Yekaterinburg")

    def mapper(pair: tuple[Structure, GroupJournal]) -> list[Record]:
        structure, journal = pair
        records = list(map_structure(structure, ctx).records)
        jm = map_group_journal(
            journal, structure, StudentIndex(structure), teacher_index(structure), ctx
        )
        records += [r for _, r in jm.dated] + list(jm.plans)
        records += [r for finals in jm.finals.values() for r in finals]
        return records

    payload = st.tuples(strategy_for(Structure), strategy_for(GroupJournal))
    return fuzz(cases, payload, mapper, derandomize)


def fuzz_eljur(cases: int, derandomize: bool = False) -> Counter[str]:
    from connectors.eljur.wire import ClassJournal, SchoolStructure
    from mapping.eljur import Source, map_class_journal, map_structure

    source = Source("eljur.example", "Europe/Moscow")

    def mapper(pair: tuple[SchoolStructure, ClassJournal]) -> list[Record]:
        structure, journal = pair
        records = list(map_structure(structure, source).records)
        cm = map_class_journal(journal, structure, source)
        records += [r for _, r in cm.dated] + list(cm.finals)
        records += [*cm.subjects.values(), *cm.work_kinds.values()]
        return records

    payload = st.tuples(strategy_for(SchoolStructure), strategy_for(ClassJournal))
    return fuzz(cases, payload, mapper, derandomize)


def fuzz_smev(cases: int, derandomize: bool = False) -> Counter[str]:
    from canonical.requests import EpguRequestStatus
    from connectors.contingent.wire import WireContingentView
    from connectors.epgu.wire import WireDiaryRequest
    from mapping.contingent import view_records
    from mapping.epgu import request_record

    moment = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)

    def mapper(pair: tuple[WireContingentView, WireDiaryRequest]) -> list[Record]:
        view, request = pair
        records = view_records(view, "registry.example")
        records.append(
            request_record(
                request,
                deployment="epgu.example",
                received_at=moment,
                deadline=moment + dt.timedelta(days=1),
                status=EpguRequestStatus.RECEIVED,
                reason=None,
            )
        )
        return records

    payload = st.tuples(strategy_for(WireContingentView), strategy_for(WireDiaryRequest))
    return fuzz(cases, payload, mapper, derandomize)


MAPPERS: dict[str, Callable[[int, bool], Counter[str]]] = {
    "netschool": fuzz_netschool,
    "poo": fuzz_poo,
    "eljur": fuzz_eljur,
    "smev3": fuzz_smev,
}
