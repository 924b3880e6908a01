"""The demo: a scenario, its emulators, the sync plan replayed, and scoring against the planted truth."""
