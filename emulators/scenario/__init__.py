"""Scenarios: a synthetic institution over time, described once, platform-neutral.

See ``docs/scenario-format.md`` for the format and ``world.py`` for reading it.
"""

from emulators.scenario.world import FORMAT, FORMAT_VERSION, Table, World, WorldState

__all__ = ["FORMAT", "FORMAT_VERSION", "Table", "World", "WorldState"]
