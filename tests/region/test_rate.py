"""A host's requests-per-second budget is shared through PostgreSQL by every worker."""

from __future__ import annotations

import asyncio
import threading

from typer.testing import CliRunner

from cli.main import app
from tests.conftest import BACKENDS

RATE = 5
THREADS = 3
EACH = 5


def most_in_one_second(moments: list[float]) -> int:
    """The most moments in any half-open window ``[t, t + 1)``."""
    ordered = sorted(moments)
    most = 0
    end = 0
    for start, at in enumerate(ordered):
        while end < len(ordered) and ordered[end] < at + 1.0:
            end += 1
        most = max(most, end - start)
    return most


def words(output: str) -> str:
    """The command's output with rich's line breaks undone."""
    return " ".join(output.split())


def test_most_in_one_second_counts_a_half_open_window() -> None:
    assert most_in_one_second([0.0, 0.5, 0.99, 1.0, 1.5]) == 3
    assert most_in_one_second([]) == 0


if "postgresql" in BACKENDS:
    from connectors.netschool.client import NetSchoolClient
    from emulators.netschool.region import start_region_host, with_school_id
    from local_store.region import open_region, rate_of, region_engine, set_budget
    from scheduler.region.budget import host_key
    from scheduler.region.rate import request_gate, reserve
    from tests.netschool.worlds import DEPUTY_LOGIN, DEPUTY_PASSWORD, D, build_world

    def test_reservations_are_spaced_by_the_rate_and_a_host_without_one_waits_not(
        region_url: str,
    ) -> None:
        region = open_region(region_url)
        try:
            assert reserve(region, "free.example") == 0.0
            set_budget(region, "free.example", 2)
            assert reserve(region, "free.example") == 0.0
            set_budget(region, "paced.example", 2, 4.0)
            waits = [reserve(region, "paced.example") for _ in range(5)]
            # One burst request at once, then one every 1/4 s (less what time has passed).
            assert waits[0] < 0.05
            assert 0.9 < waits[-1] <= 1.0
            assert waits == sorted(waits)
            # Keeping the sessions leaves the rate; 0 lifts it.
            set_budget(region, "paced.example", 3)
            assert rate_of(region, "paced.example") == 4.0
            set_budget(region, "paced.example", 3, 0)
            assert rate_of(region, "paced.example") is None
            assert reserve(region, "paced.example") == 0.0
        finally:
            region.dispose()

    def test_workers_hammering_one_host_never_exceed_its_rate(
        region_url: str,
    ) -> None:
        """Three threads, each with its own engine (connections), send as fast as they can."""
        scid = 900_001
        host = start_region_host([with_school_id(build_world(101), scid)], as_of=D)
        region = open_region(region_url)
        key = host_key(host.url)
        set_budget(region, key, 2, RATE)
        errors: list[BaseException] = []

        def worker() -> None:
            engine = region_engine(region_url)

            async def hammer() -> None:
                async with NetSchoolClient(
                    host.url,
                    DEPUTY_LOGIN,
                    DEPUTY_PASSWORD,
                    scid,
                    request_gate=request_gate(engine, key),
                ) as client:
                    for _ in range(EACH):
                        await client.check_version()

            try:
                asyncio.run(hammer())
            except BaseException as exc:  # the test thread reports it
                errors.append(exc)
            finally:
                engine.dispose()

        try:
            threads = [threading.Thread(target=worker) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            region.dispose()
            host.stop()
        assert not errors
        arrivals = [hit.arrived for hit in host.host.log]
        assert len(arrivals) == THREADS * EACH
        # Requests leave spaced 1/RATE apart by the database's clock; on arrival one request
        # of loopback jitter may cross a window's edge.
        assert most_in_one_second(arrivals) <= RATE + 1
        # ... and the whole run takes as long as the rate says (the first one leaves at once).
        assert max(arrivals) - min(arrivals) >= (len(arrivals) - 1) / RATE - 0.15

    def test_the_budget_command_sets_and_keeps_the_rate(
        region_url: str,
    ) -> None:
        runner = CliRunner()
        first = runner.invoke(
            app, ["region", "budget", "sgo.tomedu.ru", "3", "--rps", "5", "--region", region_url]
        )
        assert first.exit_code == 0, first.output
        assert "не больше 5 запроса(ов) в секунду" in words(first.output)
        kept = runner.invoke(app, ["region", "budget", "sgo.tomedu.ru", "4", "--region", region_url])
        assert kept.exit_code == 0, kept.output
        assert "не больше 5 запроса(ов) в секунду" in words(kept.output)
        lifted = runner.invoke(
            app, ["region", "budget", "sgo.tomedu.ru", "4", "--rps", "0", "--region", region_url]
        )
        assert "запросы в секунду не ограничены" in words(lifted.output)
