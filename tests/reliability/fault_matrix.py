"""Every fault knob of every journal emulator against its connector (issue 12).

Each case starts the platform's emulator with one knob set, syncs a fresh store, and
judges the outcome against a store synced from a faultless emulator:

- ``survives``: the sync succeeds and the store equals the faultless one;
- ``stops``: the sync fails, and what it kept is a part of the faultless store (no record
  half-written, none extra);
- ``degrades``: the sync succeeds without the part the knob refuses (NetSchool's parents
  cards, issue 14): what it kept is a part of the faultless store, and some is missing.

Then the knob is cleared and the sync rerun: the store must equal the faultless one, with
no record twice.  Shared by ``tests/reliability/test_fault_matrix.py`` (every case once)
and ``benchmarks/chaos.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import Engine

from tests.reliability.journal_kills import contents, serving, sync_once, world_of


@dataclass(frozen=True)
class Case:
    knobs: dict[str, Any]
    expect: str
    """``survives``, ``stops`` or ``degrades``."""
    client: dict[str, Any] | None = None
    """Client overrides (short timeouts, few attempts) so a stopping case stops quickly."""
    bites: bool = False
    """The knob costs the client extra requests (retries, logins) when it is hit: the
    case then proves the knob was hit, by the emulator's request count."""


HANG = {"timeout": 0.3, "attempts": 2}
FEW = {"attempts": 2}

# NetSchool and ЭлЖур share the knob set (the ЭлЖур emulator reuses NetSchool's middleware).
_HTTP_JSON: dict[str, Case] = {
    "latency": Case({"latency": 0.003}, "survives"),
    "hang": Case({"hang": True}, "stops", HANG),
    "error_every": Case({"error_every": 7}, "survives", bites=True),
    "error_rate": Case({"error_rate": 0.08, "seed": 11}, "survives", bites=True),
    "error_rate=1": Case({"error_rate": 1.0}, "stops", FEW),
    "fail_after": Case({"fail_after": 30}, "stops", FEW),
    "throttle_every": Case({"throttle_every": 25, "retry_after": 0}, "survives", bites=True),
    "throttle_rate": Case(
        {"throttle_rate": 0.05, "retry_after": 0, "seed": 5}, "survives", bites=True
    ),
    "retry_after": Case({"throttle_every": 20, "retry_after": 1}, "survives", bites=True),
    "session_expiry_after": Case({"session_expiry_after": 9}, "survives", bites=True),
    "malformed_every": Case({"malformed_every": 9}, "survives", bites=True),
    "malformed_rate": Case({"malformed_rate": 0.08, "seed": 7}, "survives", bites=True),
    "drop_every": Case({"drop_every": 13}, "survives", bites=True),
    "drop_rate": Case({"drop_rate": 0.08, "seed": 3}, "survives", bites=True),
    "drop_rate=1": Case({"drop_rate": 1.0}, "stops", FEW),
}

MATRIX: dict[str, dict[str, Case]] = {
    "netschool": {
        **_HTTP_JSON,
        # the latency stretches the sync past the 1 s session (0.01 no longer did once the
        # pull skipped its per-sync TLS setup and result repr: the knob went unhit)
        "session_timeout": Case({"session_timeout": 1, "latency": 0.05}, "survives", bites=True),
        "version": Case({"version": "5.20.0"}, "survives"),
        "version=unknown": Case({"version": "6.1.0"}, "stops"),
        "parents_status": Case({"parents_status": 403}, "degrades"),
    },
    "eljur": {
        **_HTTP_JSON,
        # a token's lifetime on the emulator's clock, which stands still at the scenario's
        # moment: 0 s means every token is already expired when given
        "session_timeout": Case({"session_timeout": 0}, "stops", FEW),
    },
    "poo": {
        "latency_ms": Case({"latency_ms": 3}, "survives"),
        "latency_ms=hang": Case({"latency_ms": 800}, "stops", {"timeout": 0.2, "attempts": 2}),
        "error_rate": Case({"error_rate": 0.1}, "survives", bites=True),
        "throttle_rate": Case({"throttle_rate": 0.08, "retry_after": 0}, "survives", bites=True),
        "retry_after": Case({"throttle_rate": 0.01, "retry_after": 1}, "survives", bites=True),
        "malformed_rate": Case({"malformed_rate": 0.1}, "survives", bites=True),
        "drop_rate": Case({"drop_rate": 0.1}, "survives", bites=True),
        "outage_after": Case({"outage_after": 25}, "stops", FEW),
        "expire_after": Case({"expire_after": 7}, "survives", bites=True),
        "lapse": Case({"expire_after": 7, "lapse": "redirect"}, "survives", bites=True),
        "session_cap": Case({"expire_after": 5, "session_cap": 1}, "survives", bites=True),
        "server_version": Case({"server_version": "2024"}, "survives"),
        "login_body": Case({"login_body": "empty"}, "survives"),
    },
}

_NS = "tests/netschool/test_faults.py"
_EJ = "tests/eljur/test_errors_and_faults.py"
_POO = "tests/poo/test_faults.py"
ELSEWHERE: dict[tuple[str, str], tuple[str, str]] = {
    ("netschool", "latency"): (_NS, '"latency": 0.01'),
    ("netschool", "hang"): (_NS, '"hang": True'),
    ("netschool", "error_every"): (_NS, '"error_every": 7'),
    ("netschool", "error_rate"): (_NS, '"error_rate": 0.08'),
    ("netschool", "error_rate=1"): (_NS, '"error_rate": 1.0'),
    ("netschool", "fail_after"): (_NS, "fail_after=api_so_far + 60"),
    ("netschool", "throttle_every"): (_NS, '"throttle_every": 60'),
    ("netschool", "retry_after"): (_NS, "throttle_every=4, retry_after=1"),
    ("netschool", "session_expiry_after"): (_NS, '"session_expiry_after": 25'),
    ("netschool", "malformed_every"): (_NS, '"malformed_every": 9'),
    ("netschool", "drop_every"): (_NS, '"drop_every": 13'),
    ("netschool", "drop_rate=1"): (_NS, '"drop_rate": 1.0'),
    ("netschool", "version"): (_NS, '"version": "5.20.0"'),
    ("netschool", "version=unknown"): (_NS, '"version": "6.1.0"'),
    ("eljur", "error_every"): (_EJ, '"error_every": 3'),
    ("eljur", "throttle_every"): (_EJ, '"throttle_every": 4'),
    ("eljur", "drop_every"): (_EJ, '"drop_every": 5'),
    ("eljur", "malformed_every"): (_EJ, '"malformed_every": 4'),
    ("eljur", "session_expiry_after"): (_EJ, '"session_expiry_after": 3'),
    ("eljur", "fail_after"): (_EJ, "fail_after=20"),
    ("poo", "latency_ms"): (_POO, '"latency_ms": 20'),
    ("poo", "latency_ms=hang"): (_POO, '"latency_ms": 800'),
    ("poo", "error_rate"): (_POO, '"error_rate": 0.15'),
    ("poo", "throttle_rate"): (_POO, '"throttle_rate": 0.1'),
    ("poo", "retry_after"): (_POO, '"retry_after": 1'),
    ("poo", "malformed_rate"): (_POO, '"malformed_rate": 0.15'),
    ("poo", "drop_rate"): (_POO, '"drop_rate": 0.15'),
    ("poo", "outage_after"): (_POO, '"outage_after": 22'),
    ("poo", "expire_after"): (_POO, '"expire_after": 7'),
    ("poo", "lapse"): (_POO, '"lapse": "redirect"'),
    ("poo", "session_cap"): (_POO, '"session_cap": 1'),
    ("poo", "server_version"): (_POO, '"server_version": "2024"'),
    ("poo", "login_body"): (_POO, '"login_body": "empty"'),
}
"""Cases the platform's own fault tests already run in the suite (the file, and the text
that sets the knob there): the suite's matrix runs only the rest, ``benchmarks.chaos
--faults`` runs every case."""

INERT: dict[str, dict[str, str]] = {
    "eljur": {
        "version": "the ЭлЖур emulator has no version quirks; only NetSchool reads it",
        "parents_status": "ЭлЖур has no parents card path (NetSchool's userinfo/{id}/parents)",
    },
}
"""Knobs a platform's ``Faults`` carries but its emulator never reads, with the reason."""

AUXILIARY = {"seed"}
"""Knobs that only steer others (the random generator's seed)."""


def knobs_of(platform: str) -> set[str]:
    """The fault knobs the platform's emulator offers (its ``Faults`` fields)."""
    if platform == "poo":
        from emulators.poo.faults import Faults as PooFaults

        return {f.name for f in fields(PooFaults)} - {"rng"}
    if platform == "netschool":
        from emulators.netschool.faults import Faults as NsFaults

        return {f.name for f in fields(NsFaults)}
    from emulators.eljur.faults import Faults as EjFaults

    return {f.name for f in fields(EjFaults)}


def covered(platform: str) -> set[str]:
    """The knobs the matrix sets for ``platform``, or declares inert or auxiliary."""
    used = {name for case in MATRIX[platform].values() for name in case.knobs}
    return used | set(INERT.get(platform, {})) | AUXILIARY


Contents = dict[str, list[tuple[str, str]]]


def served_contents(store: Engine, url: str) -> Contents:
    """The store's records with the emulator's address taken out of their keys: «Модуль
    ПОО» names its deployment by host, port and tenant, and every case gets its own
    emulator on its own port, so the faultless yardstick and a case are compared by the
    rest of the key (the platform's own ids)."""
    address = urlparse(url).netloc
    return {
        kind: sorted((key.replace(address, "emulator", 1), digest) for key, digest in rows)
        for kind, rows in contents(store).items()
    }


@dataclass(frozen=True)
class Yardstick:
    """A faultless sync's store contents and the requests it took."""

    contents: Contents
    requests: int


def faultless(platform: str, store: Engine) -> Yardstick:
    """What a sync from a faultless emulator leaves in ``store``: the cases' yardstick."""
    world, as_of = world_of(platform)
    with serving(platform, world, as_of) as clean:
        if sync_once(store, clean.settings) != "succeeded":
            raise RuntimeError(f"the faultless {platform} sync failed")
        requests = clean.requests()
        return Yardstick(served_contents(store, clean.settings["url"]), requests)


def run_case(
    platform: str, name: str, store: Engine, yardstick: Yardstick, *, always_rerun: bool = True
) -> Counter[str]:
    """One knob against one connector, syncing into the empty ``store``; counts of what
    held and what did not.  Without ``always_rerun`` a sync that survived (and was just
    compared whole) is not run a second time: the suite's saving."""
    case = MATRIX[platform][name]
    want = yardstick.contents
    world, as_of = world_of(platform)
    seen: Counter[str] = Counter()
    with serving(platform, world, as_of, case.knobs) as served:
        engine = store
        status = sync_once(engine, {**served.settings, **(case.client or {})})
        seen[f"status:{status}"] += 1
        if case.bites and served.requests() <= yardstick.requests:
            seen["knob_never_hit"] += 1
        if case.expect == "survives" and status != "succeeded":
            seen["did_not_survive"] += 1
        if case.expect == "stops" and status != "failed":
            seen["did_not_stop"] += 1
        url = served.settings["url"]
        got = served_contents(engine, url)
        if case.expect == "degrades":
            if status != "succeeded":
                seen["did_not_survive"] += 1
            if _lost(want, got) == 0:
                seen["knob_never_hit"] += 1
        _compare(want, got, seen, exact=case.expect == "survives", tag="first")
        if status == "succeeded" and case.expect == "survives" and not always_rerun:
            return seen
        served.reset()
        if sync_once(engine, served.settings) != "succeeded":
            seen["rerun_failed"] += 1
        _compare(want, served_contents(engine, url), seen, exact=True, tag="rerun")
    return seen


def _lost(want: Contents, got: Contents) -> int:
    """Records of the faultless store that ``got`` lacks."""
    return sum(len(set(dict(rows)) - {i for i, _ in got[kind]}) for kind, rows in want.items())


def _compare(
    want: Contents,
    got: Contents,
    seen: Counter[str],
    *,
    exact: bool,
    tag: str,
) -> None:
    """Lost (only when the run had to be complete), extra, duplicated, half-written."""
    for kind, rows in want.items():
        wanted = dict(rows)
        ids = [i for i, _ in got[kind]]
        seen[f"{tag}_records"] += len(ids)
        if exact:
            seen[f"{tag}_lost"] += len(set(wanted) - set(ids))
        seen[f"{tag}_extra"] += len(set(ids) - set(wanted))
        seen[f"{tag}_duplicated"] += len(ids) - len(set(ids))
        seen[f"{tag}_half_written"] += sum(
            1 for i, h in got[kind] if i in wanted and wanted[i] != h
        )


BAD = (
    "knob_never_hit",
    "did_not_survive",
    "did_not_stop",
    "rerun_failed",
    "first_lost",
    "first_extra",
    "first_duplicated",
    "first_half_written",
    "rerun_lost",
    "rerun_extra",
    "rerun_duplicated",
    "rerun_half_written",
)
