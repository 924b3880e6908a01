"""Fault knobs: what can go wrong between a college and the regional host.

Rates are drawn from one seeded generator, so a serialised client meets the
same faults in the same places on every run of a test.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Action = Literal["ok", "error", "throttle", "malformed", "drop"]


@dataclass
class Faults:
    latency_ms: float = 0.0
    """Added to every answer."""
    error_rate: float = 0.0
    """Share of data requests answered 500 with a ``responseStatus`` body."""
    throttle_rate: float = 0.0
    """Share answered 429 with ``Retry-After``."""
    retry_after: int = 1
    malformed_rate: float = 0.0
    """Share answered 200 with a truncated JSON body."""
    drop_rate: float = 0.0
    """Share whose connection is cut mid-answer."""
    outage_after: int = 0
    """After this many requests to ``/services/`` every answer is 503 (0: never): an outage mid-sync."""
    expire_after: int = 0
    """A session lapses after this many requests (0: never)."""
    lapse: Literal["401", "redirect"] = "401"
    """How a lapsed session shows: 401, or a 302 to ``/security/`` (P‑AIS)."""
    session_cap: int = 0
    """Concurrent sessions per account (0: unlimited); login beyond it gets 401."""
    server_version: Literal["2024", "2025"] = "2025"
    """2024: classroom ``building``; 2025: ``buildingId`` + ``buildingName``."""
    login_body: Literal["tenants", "empty"] = "tenants"
    """``empty``: a 200 login with no body, as P‑AIS reports for employees."""
    seed: int = 1
    rng: random.Random = field(default_factory=lambda: random.Random(1), repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)} - {"rng"}
        for key, value in values.items():
            if key not in known:
                raise KeyError(key)
            setattr(self, key, value)
        if "seed" in values:
            self.rng = random.Random(self.seed)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rng", None)
        return data

    def draw(self) -> Action:
        """The fate of one data request."""
        roll = self.rng.random()
        for action, rate in (
            ("error", self.error_rate),
            ("throttle", self.throttle_rate),
            ("malformed", self.malformed_rate),
            ("drop", self.drop_rate),
        ):
            if roll < rate:
                return action  # type: ignore[return-value]
            roll -= rate
        return "ok"
