"""The contingent registry over СМЭВ 3: Sverka's own business schema ``urn://sverka/contingent/1.0``."""

from connectors.contingent.client import ContingentConnector
from connectors.contingent.wire import (
    NS,
    WireContingentView,
    WireEpisode,
    WireMovementEvent,
    WirePerson,
    WireRecordError,
    WireRecordResult,
    WireStudent,
)

__all__ = [
    "NS",
    "ContingentConnector",
    "WireContingentView",
    "WireEpisode",
    "WireMovementEvent",
    "WirePerson",
    "WireRecordError",
    "WireRecordResult",
    "WireStudent",
]
