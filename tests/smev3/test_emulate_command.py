"""``sverka emulate smev3`` as a process: it serves the scenario on loopback until stopped."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.smev3.worlds import ORG, world_dict


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_emulate_smev3_serves_the_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "world.json"
    scenario.write_text(json.dumps(world_dict(), ensure_ascii=False), encoding="utf-8")
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "sverka"),
            "emulate",
            "smev3",
            "--scenario",
            str(scenario),
            "--port",
            str(port),
            "--org-code",
            ORG,
            "--as-of",
            "2026-10-20T12:00:00+07:00",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        state = None
        for _ in range(300):
            try:
                state = httpx.get(f"http://127.0.0.1:{port}/control/state", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        if state is None:
            _, err = process.communicate(timeout=5) if process.poll() is not None else (b"", b"")
            raise AssertionError(f"the emulator did not start: {err.decode()[-1000:]}")
        # --send (default): ЕПГУ's three applications and one «Е-услуги» notice wait for the school.
        school = state["queues"]["SVERKA01"]
        assert sorted(m["root"] for m in school) == [
            "EnrolmentNotification",
            "FormData",
            "FormData",
            "FormData",
        ]
        fault = httpx.post(f"http://127.0.0.1:{port}/smev", content=b"<not-xml", timeout=5)
        assert fault.status_code == 500 and "InvalidContent" in fault.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
