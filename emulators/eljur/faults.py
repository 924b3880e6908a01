"""Fault knobs of the ЭлЖур emulator: the NetSchool emulator's knobs and middleware, reused.

The middleware acts on paths starting with ``/api``, which covers ``/api``
and ``/apiv3``.  ``session_timeout`` is the token's lifetime on the
emulator's clock (ЭлЖур tokens live about three months, eljur.md §2.1) and
``session_expiry_after`` invalidates a token after that many requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulators.netschool.faults import FaultInjector
from emulators.netschool.faults import Faults as _NetSchoolFaults

__all__ = ["FaultInjector", "Faults"]


@dataclass
class Faults(_NetSchoolFaults):
    session_timeout: int = 90 * 86400
    version: str = "apiv3"
