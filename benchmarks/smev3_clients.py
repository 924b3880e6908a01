"""Building a СМЭВ client with the shared parsed WSDL, as a ratio to parsing it anew.

A demo builds dozens of clients over the same schemas; before the WSDL was shared each
of them paid zeep's parse (``_parsed_wsdl.__wrapped__`` is that uncached parse).  Prints
the median milliseconds of each and the ratio; the shared build should stay a small
fraction of one parse.

    .venv/bin/python benchmarks/smev3_clients.py --repeat 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import clock
from connectors.smev3.client import SCHEMAS, SmevClient, SmevSettings, _parsed_wsdl


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = clock.now()
        work()
        times.append(clock.now() - started)
    return statistics.median(times) * 1000


async def _build_and_close(settings: SmevSettings) -> None:
    client = SmevClient(settings)
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cpu", action="store_true", help="CPU time of this process")
    args = parser.parse_args()
    if args.cpu:
        clock.use_cpu_time()
    settings = SmevSettings("http://127.0.0.1:1/smev")
    wsdl = SCHEMAS / "1.2" / "smev-message-exchange-service-1.2.wsdl"
    asyncio.run(_build_and_close(settings))  # imports and the first (cached) parse
    parse = _median_ms(lambda: _parsed_wsdl.__wrapped__(str(wsdl), 0), args.repeat)
    build = _median_ms(lambda: asyncio.run(_build_and_close(settings)), args.repeat)
    print(f"разбор WSDL заново     {parse:7.2f} мс")
    print(f"клиент с общим WSDL    {build:7.2f} мс  ×{build / parse:5.2f}")


if __name__ == "__main__":
    main()
