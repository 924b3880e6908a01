"""Source references and the base of every canonical record.

A record is identified by where it came from (platform, deployment, the
platform's own id), never by a surrogate key of ours: the store keys its
observation history on exactly this triple, and cross-source identity is a
separate, explainable step (reconciliation), never an implicit merge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Platform(StrEnum):
    """Every system Sverka talks to, plus the institution's own files."""

    NETSCHOOL = "netschool"
    POO = "poo"
    ELJUR = "eljur"
    CONTINGENT = "contingent"
    EPGU = "epgu"
    E_USLUGI = "e_uslugi"
    LOCAL = "local"
    """The institution's own records (CSV/XLSX imports: staff start dates, paper reports…)."""


class SourceRef(BaseModel):
    """Where a record lives: platform, deployment (host or tenant) and the platform's id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: Platform
    deployment: str
    external_id: str

    def key(self) -> tuple[str, str, str]:
        return (self.platform.value, self.deployment, self.external_id)


class Record(BaseModel):
    """Base of every canonical record.

    ``kind`` names the record family in the store (one observation table per
    kind).  References to other records carry the other record's
    ``external_id`` from the same source: identity across sources is decided
    by reconciliation, not here.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    kind: ClassVar[str]

    source: SourceRef

    def content(self) -> dict[str, Any]:
        """The record's fields without its source, in JSON-ready form."""
        return self.model_dump(mode="json", exclude={"source"})

    def content_hash(self) -> str:
        """A stable hash of the content: equal content, equal hash.

        Moments are hashed in UTC, so the same instant written with another
        offset (the store reads back UTC) is not a change.  Ingest hashes every
        record it sees, so the field list and the encoder are built once per
        type, and plain values skip the conversions.
        """
        values = self.__dict__
        payload = _ENCODER.encode(
            {name: _stable(values[name]) for name in _hashed_fields(type(self))}
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Same output as json.dumps(..., sort_keys=True, ensure_ascii=False, separators=(",", ":")),
# without building an encoder on every call.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_DAY_OR_TIME = (dt.date, dt.time)
_SEQUENCE = (tuple, list)


@cache
def _hashed_fields(model: type[Record]) -> tuple[str, ...]:
    return tuple(name for name in model.model_fields if name != "source")


def _stable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, _DAY_OR_TIME):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, _SEQUENCE):
        return [_stable(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value
