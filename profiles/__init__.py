"""Data: one TOML file per institution profile, loaded with ``importlib.resources``."""
