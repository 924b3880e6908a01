"""Scenarios: a synthetic institution over time, described once, platform-neutral.

See ``docs/scenario-format.md`` for the format and ``world.py`` for reading it.
"""
