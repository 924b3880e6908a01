"""Delivering processes for the crash tests, forked from a warm parent.

``python -m tests.smev3.push_worker`` imports everything once, then reads
``DB URL ORG [TRANSPORT MNEMONIC]`` lines on stdin; for each it forks a child that runs the same
job as ``sverka push contingent``, prints ``started PID``, waits for the child
and prints ``exit PID CODE`` (``CODE`` is negative for a signal).  Forking a
warm, single-threaded parent keeps twenty SIGKILL trials within a minute or
two; each child is a real process of its own, killed for real.
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback

from local_store.engine import make_engine
from pipelines.smev3.common import Smev3Options
from pipelines.smev3.contingent import push_contingent


def run(db: str, url: str, org_code: str, transport: str = "smev", mnemonic: str = "") -> None:
    options = Smev3Options(
        url=url,
        org_code=org_code,
        deployment="smev.test",
        backoff_base=0.02,
        backoff_cap=0.1,
        transport=transport,
        mnemonic=mnemonic or None,
    )
    asyncio.run(push_contingent(make_engine(db), options, budget_seconds=30))


def main() -> None:
    for line in sys.stdin:
        db, url, org_code, *via = line.split()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run(db, url, org_code, *via)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(f"started {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(f"exit {pid} {code}", flush=True)


if __name__ == "__main__":
    main()
