"""Offline servers that speak each platform's real protocol on loopback.

Emulators render a scenario (``emulators.scenario``) in their platform's wire
format; they import ``canonical`` for the dataset's vocabulary only and never
the connectors or the mappings they are used to test.
"""
