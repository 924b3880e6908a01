"""The independent check: netschoolapi 11.0.5 (its own venv, ``.venv-nsa``) against the emulator.

``.ci/run`` creates the venv; when it is missing (a fresh checkout), the test
creates it the same way before running the check.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from emulators.netschool.server import RunningEmulator
from tests.netschool.worlds import STUDENT_LOGIN, STUDENT_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
NSA_PYTHON = ROOT / ".venv-nsa" / "bin" / "python"
SCRIPT = Path(__file__).with_name("nsa_check.py")


def _ensure_venv() -> None:
    if NSA_PYTHON.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(ROOT / ".venv-nsa")], check=True)
    subprocess.run(
        [
            str(NSA_PYTHON),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "netschoolapi==11.0.5",
        ],
        check=True,
        timeout=600,
    )


def test_netschoolapi_reads_diaries_overdue_announcements(emulator: RunningEmulator) -> None:
    _ensure_venv()
    school = emulator.state.school()
    run = subprocess.run(
        [
            str(NSA_PYTHON),
            str(SCRIPT),
            emulator.url,
            STUDENT_LOGIN,
            STUDENT_PASSWORD,
            str(school.id),
            "2026-09-07",
            "6",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    student = next(a for a in school.accounts.values() if a.login == STUDENT_LOGIN)
    assert seen["student_id"] == student.person_id, "currentStudentId is an index into students[]"
    assert seen["year_id"] == school.year["id"] if school.year else False
    assert seen["days"] == 30 and seen["lessons"] >= 90
    assert seen["marks"] > 10 and seen["assignments"] > seen["marks"]
    assert seen["overdue"] > 0
    assert seen["announcements"] == ["Родительское собрание"]
    assert emulator.state.hits["/webapi/auth/logout"] == 1 and not emulator.state.sessions


def test_netschoolapi_wrong_password_is_auth_error(emulator: RunningEmulator) -> None:
    _ensure_venv()
    run = subprocess.run(
        [
            str(NSA_PYTHON),
            str(SCRIPT),
            emulator.url,
            STUDENT_LOGIN,
            "wrong",
            str(emulator.state.school().id),
            "2026-09-07",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 and "AuthError" in run.stderr
