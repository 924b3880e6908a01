"""``sverka --help`` must not load the heavy libraries: each command loads what it uses.

Checked by module presence in a fresh interpreter, not by timing
(``benchmarks/startup.py`` measures the time).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "zeep",
    "openpyxl",
    "alembic",
    "weasyprint",
    "uvicorn",
    "xmlschema",
    "sqlalchemy",
    "pydantic",
    "procrastinate",
)


def test_importing_the_command_loads_no_heavy_library() -> None:
    probe = (
        "import json, sys\n"
        "import cli.main\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out) == []


def test_the_probe_sees_a_loaded_library() -> None:
    probe = "import json, sys, sqlalchemy\nprint(json.dumps('sqlalchemy' in sys.modules))\n"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out) is True
