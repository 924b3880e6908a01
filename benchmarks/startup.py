"""Start-up time of the ``sverka`` command, as a ratio to a bare ``python -c pass``.

Every command a user types pays the import of ``cli.main`` first; heavy
libraries (zeep, openpyxl, alembic, weasyprint, uvicorn) must load only in the
commands that use them.  Runs each command ``--repeat`` times in a fresh
interpreter and prints the median wall time and its ratio to the baseline.
``status`` runs against a new SQLite store in a temporary folder.

    .venv/bin/python benchmarks/startup.py --repeat 7
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(argv: list[str], repeat: int, cwd: Path) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    sverka = [python, "-c", "from cli.main import run; run()"]
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        store = str(cwd / "store.sqlite")
        subprocess.run([*sverka, "--db", store, "init"], cwd=cwd, check=True, capture_output=True)
        base = median_seconds([python, "-c", "pass"], args.repeat, cwd)
        cases = {
            "python -c pass": base,
            "sverka --help": median_seconds([*sverka, "--help"], args.repeat, cwd),
            "sverka status": median_seconds([*sverka, "--db", store, "status"], args.repeat, cwd),
        }
    for name, seconds in cases.items():
        print(f"{name:16} {seconds:6.3f} s  ×{seconds / base:5.1f}")


if __name__ == "__main__":
    main()
