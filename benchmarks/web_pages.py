"""How fast the deputy's violation list answers over HTTP, against reading the violations bare.

    .venv/bin/python benchmarks/web_pages.py --db sqlite:///path/to/store.sqlite [--repeat 9]

Serves the store with the real app on loopback, logs in as a deputy (a throw-away
accounts file), and times ``GET /deputy/items`` (the whole list, rendered) and
``GET /login`` (the HTTP and template floor).  The baseline is one bare
``list_violations`` call on the same store: the page's cost is printed as a ratio to
it, and against the issue's target (a college-year's list under 300 ms).  Use a demo
store (``sverka demo --out DIR`` leaves ``DIR/sverka.sqlite``) or any real one.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its ``policies.py``
# would shadow the ``policies`` package the pages import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import httpx  # noqa: E402

from emulators.serving import serve_in_thread  # noqa: E402
from local_store.engine import make_engine  # noqa: E402
from local_store.violations import list_violations  # noqa: E402
from web.app import create_app  # noqa: E402
from web.users import add_user, load, save  # noqa: E402

TARGET_MS = 300.0
PASSWORD = "benchmark-password"


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="store URL")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    engine = make_engine(args.db)
    with tempfile.TemporaryDirectory() as tmp:
        accounts = load(Path(tmp) / "users.json")
        add_user(accounts, "bench", "deputy", PASSWORD)
        save(accounts)
        url, server, thread = serve_in_thread(create_app(engine, accounts), 0, "bench", "no server")
        try:
            with httpx.Client(base_url=url, timeout=120) as client:
                found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
                assert found
                client.post(
                    "/login", data={"csrf": found.group(1), "login": "bench", "password": PASSWORD}
                )
                page = client.get("/deputy/items")
                page.raise_for_status()
                shown = page.text.count('class="item ')
                violations = len(list_violations(engine))
                bare = median_ms(lambda: list_violations(engine), args.repeat)
                floor = median_ms(lambda: client.get("/login"), args.repeat)
                listing = median_ms(lambda: client.get("/deputy/items"), args.repeat)
        finally:
            server.should_exit = True
            thread.join(5)
    print(f"store: {violations} violations, {shown} items on the list page")
    print(f"list_violations (baseline) {bare:8.1f} ms")
    print(f"GET /login (HTTP floor)    {floor:8.1f} ms")
    print(
        f"GET /deputy/items          {listing:8.1f} ms  ×{listing / bare:5.1f} of the baseline; "
        f"target {TARGET_MS:.0f} ms: {'met' if listing < TARGET_MS else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
