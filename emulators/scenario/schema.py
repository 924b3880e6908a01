"""The JSON Schema of the scenario format, built from the canonical model.

``scenario.schema.json`` beside this module is the written-out result
(``python -m emulators.scenario.schema`` rewrites it; a test keeps the two
equal), so the column names a table may use are exactly the canonical fields.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from canonical.registry import RECORD_TYPES
from emulators.scenario.catalog import PROFILES

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
MOMENT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$"


def _table(kind: str) -> dict[str, Any]:
    fields = sorted(set(RECORD_TYPES[kind].model_fields) - {"source"})
    return {
        "type": "object",
        "required": ["columns", "rows"],
        "additionalProperties": False,
        "properties": {
            "columns": {
                "type": "array",
                "items": {"enum": ["id", "created_at", *fields]},
                "uniqueItems": True,
                "allOf": [{"contains": {"const": "id"}}, {"contains": {"const": "created_at"}}],
            },
            "rows": {"type": "array", "items": {"type": "array"}},
        },
    }


def build_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sverka.example/schemas/scenario-1.json",
        "title": "Сценарий Сверки (sverka-scenario, версия 1)",
        "description": "A synthetic institution over time: tables of records with creation "
        "moments, later edits, platform views and accounts. See docs/scenario-format.md.",
        "type": "object",
        "required": ["format", "version", "profile", "timezone", "tables"],
        "properties": {
            "format": {"const": "sverka-scenario"},
            "version": {"const": 1},
            "profile": {"type": "string", "enum": list(PROFILES)},
            "seed": {"type": "integer"},
            "students": {"type": "integer", "minimum": 1},
            "weeks": {"type": "integer", "minimum": 1},
            "timezone": {"type": "string", "pattern": r"^[A-Za-z]+/[A-Za-z_]+$"},
            "institution_kind": {"enum": ["school", "college"]},
            "week_days": {"enum": [5, 6]},
            "period_kind": {"enum": ["quarter", "semester"]},
            "institution_id": {"type": "string"},
            "institution": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "short_name": {"type": "string"},
                    "region": {"type": "string"},
                    "locality": {"type": "string"},
                    "departments": {"type": "array", "items": {"type": "string"}},
                },
            },
            "school_year_id": {"type": "string"},
            "starts_at": {"$ref": "#/$defs/moment"},
            "lessons_until": {"$ref": "#/$defs/moment"},
            "ends_at": {"$ref": "#/$defs/moment"},
            "generator": {"type": "object"},
            "platform": {
                "type": "object",
                "required": ["journal", "deployment"],
                "properties": {
                    "journal": {"enum": ["poo", "netschool", "eljur"]},
                    "demo_journal": {"enum": ["poo", "netschool", "eljur"]},
                    "deployment": {"type": "string"},
                    "school_id": {"type": "integer"},
                    "region": {"type": "string"},
                    "locality": {"type": "string"},
                    "kinds": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "array",
                            "items": {"enum": sorted(RECORD_TYPES)},
                        },
                    },
                    "local_fields": {"type": "object"},
                },
            },
            "bell_schedule": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["number", "starts_at", "ends_at"],
                    "properties": {
                        "number": {"type": "integer", "minimum": 1},
                        "starts_at": {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$"},
                        "ends_at": {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$"},
                    },
                },
            },
            "calendar": {"type": "object"},
            "timetable": {"type": "object"},
            "tables": {
                "type": "object",
                "propertyNames": {"enum": sorted(RECORD_TYPES)},
                "properties": {kind: _table(kind) for kind in sorted(RECORD_TYPES)},
            },
            "edits": {
                "type": "object",
                "required": ["columns", "rows"],
                "properties": {
                    "columns": {"const": ["kind", "id", "at", "field", "value"]},
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "prefixItems": [
                                {"enum": sorted(RECORD_TYPES)},
                                {"type": "string"},
                                {"$ref": "#/$defs/moment"},
                                {"type": "string"},
                                {},
                            ],
                            "minItems": 5,
                            "maxItems": 5,
                        },
                    },
                },
            },
            "views": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["platform", "kind", "id", "field", "value"],
                    "additionalProperties": False,
                    "properties": {
                        "platform": {
                            "enum": ["netschool", "poo", "eljur", "contingent", "epgu", "e_uslugi", "local"]
                        },
                        "kind": {"enum": sorted(RECORD_TYPES)},
                        "id": {"type": "string"},
                        "field": {"type": "string"},
                        "value": {},
                        "note": {"type": "string"},
                    },
                },
            },
            "accounts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["role", "login", "password"],
                    "properties": {
                        "role": {
                            "enum": [
                                "administrator", "director", "deputy", "secretary", "teacher",
                                "class_teacher", "student", "parent",
                            ]
                        },
                        "login": {"type": "string", "minLength": 1},
                        "password": {"type": "string", "minLength": 1},
                        "person_id": {"type": "string"},
                        "school_id": {"type": "integer"},
                        "tenant": {"type": "string"},
                        "platform": {"type": "string"},
                        "children": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "$defs": {"moment": {"type": "string", "pattern": MOMENT}},
    }  # fmt: skip


def schema_text() -> str:
    return json.dumps(build_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def load_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"{SCHEMA_PATH}\n")
