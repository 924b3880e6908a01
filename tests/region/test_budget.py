"""Host session slots are shared through PostgreSQL and freed when their holder dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from local_store.region import budget_of, open_region, set_budget
from scheduler.region.budget import BudgetBusy, host_key, host_slot
from tests.conftest import BACKENDS
from tests.region.conftest import ROOT


def test_host_key_keeps_a_port_only_when_it_is_not_the_default() -> None:
    assert host_key("https://sgo.tomedu.ru/") == "sgo.tomedu.ru"
    assert host_key("https://sgo.tomedu.ru:443") == "sgo.tomedu.ru"
    assert host_key("http://127.0.0.1:8123") == "127.0.0.1:8123"


if "postgresql" in BACKENDS:

    def test_slots_are_shared_across_engines_and_a_killed_holder_frees_its_slot(
        region_url: str,
    ) -> None:
        region = open_region(region_url)
        set_budget(region, "sgo.tomedu.ru", 2)
        assert budget_of(region, "sgo.tomedu.ru") == 2
        assert budget_of(region, "netschool.edu22.info") >= 1

        # Another process takes one slot and is killed while holding it.
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, time\n"
                "from local_store.region import region_engine\n"
                "from scheduler.region.budget import host_slot\n"
                "with host_slot(region_engine(sys.argv[1]), 'sgo.tomedu.ru', 2) as slot:\n"
                "    print(slot, flush=True)\n"
                "    time.sleep(60)\n",
                region_url,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "0"
            with host_slot(region, "sgo.tomedu.ru", 2) as mine:
                assert mine == 1
                # Both slots held (one by the other process): a third waits, then gives up.
                with (
                    pytest.raises(BudgetBusy, match="заняты"),
                    host_slot(open_region(region_url), "sgo.tomedu.ru", 2, wait_seconds=0.5),
                ):
                    pass
                holder.send_signal(signal.SIGKILL)
                holder.wait()
                deadline = time.monotonic() + 10
                while True:
                    try:
                        with host_slot(region, "sgo.tomedu.ru", 2, wait_seconds=0.2) as freed:
                            assert freed == 0
                            break
                    except BudgetBusy:
                        assert time.monotonic() < deadline, "slot of the killed process never freed"
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait()
            region.dispose()
