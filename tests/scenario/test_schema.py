"""The JSON Schema describes what the generator writes, and rejects what it must not."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from emulators.scenario.schema import SCHEMA_PATH, load_schema, schema_text
from tests.scenario.conftest import generated


def test_schema_file_is_built_from_the_canonical_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()


@pytest.mark.parametrize("profile", ["tpt", "mazanka", "talmenka"])
def test_generated_scenario_validates(profile: str) -> None:
    scenario = json.loads(json.dumps(generated(profile, 60, 3).scenario))
    jsonschema.Draft202012Validator(load_schema()).validate(scenario)


def test_schema_rejects_unknown_columns_and_naive_moments() -> None:
    validator = jsonschema.Draft202012Validator(load_schema())
    scenario = generated("tpt", 60, 3).scenario
    bad = copy.deepcopy({k: v for k, v in scenario.items() if k != "tables"})
    bad["tables"] = {"mark": {"columns": ["id", "created_at", "mark_value"], "rows": []}}
    assert not validator.is_valid(bad)
    naive = copy.deepcopy({k: v for k, v in scenario.items() if k != "tables"})
    naive["tables"] = {}
    naive["edits"] = {
        "columns": ["kind", "id", "at", "field", "value"],
        "rows": [["mark", "m1", "2024-11-05T10:00:00", "value", "5"]],
    }
    assert not validator.is_valid(naive)
    naive["edits"]["rows"][0][2] = "2024-11-05T10:00:00+07:00"
    assert validator.is_valid(naive)
