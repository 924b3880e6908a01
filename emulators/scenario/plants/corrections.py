"""Planters (see emulators.scenario.plants)."""
