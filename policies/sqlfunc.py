"""Portable SQL for time arithmetic: seconds since the epoch on SQLite and PostgreSQL.

Deadlines are compared as integer epoch seconds so that "the class's last
lesson plus 1.5 hours" is plain addition in SQL on both backends; the store
keeps UTC moments naive (``local_store.types.UTCDateTime``), so the epoch of a
stored moment is its UTC epoch.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch(FunctionElement[int]):
    """Epoch seconds of a stored UTC moment or a date (midnight UTC)."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"CAST(strftime('%s', {compiler.process(arg, **kw)}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_pg(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM CAST({compiler.process(arg, **kw)} AS TIMESTAMP)) AS BIGINT)"


class time_seconds(FunctionElement[int]):
    """Seconds since midnight of a stored time of day."""

    type = Integer()
    inherit_cache = True
    name = "time_seconds"


@compiles(time_seconds, "sqlite")
def _ts_sqlite(element: time_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    col = compiler.process(arg, **kw)
    return (
        f"(CAST(substr({col}, 1, 2) AS INTEGER) * 3600 + CAST(substr({col}, 4, 2) AS INTEGER) * 60"
        f" + CAST(substr({col}, 7, 2) AS INTEGER))"
    )


@compiles(time_seconds, "postgresql")
def _ts_pg(element: time_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(arg, **kw)}) AS INTEGER)"


class has_cyrillic(FunctionElement[bool]):
    """The text holds at least one Cyrillic letter."""

    type = Boolean()
    inherit_cache = True
    name = "has_cyrillic"


class has_latin(FunctionElement[bool]):
    """The text holds at least one Latin letter."""

    type = Boolean()
    inherit_cache = True
    name = "has_latin"


@compiles(has_cyrillic, "sqlite")
def _cyr_sqlite(element: has_cyrillic, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"({compiler.process(arg, **kw)} GLOB '*[А-яЁё]*')"


@compiles(has_cyrillic, "postgresql")
def _cyr_pg(element: has_cyrillic, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"({compiler.process(arg, **kw)} ~ '[А-яЁё]')"


@compiles(has_latin, "sqlite")
def _lat_sqlite(element: has_latin, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"({compiler.process(arg, **kw)} GLOB '*[A-Za-z]*')"


@compiles(has_latin, "postgresql")
def _lat_pg(element: has_latin, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"({compiler.process(arg, **kw)} ~ '[A-Za-z]')"
