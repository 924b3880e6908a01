"""Settings every command shares: which store, how to log, where secrets come from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from local_store.engine import open_store, resolve_url


@dataclass
class Settings:
    db: str | None = None
    log_json: bool = False
    verbose: bool = False

    @property
    def url(self) -> str:
        return resolve_url(self.db)

    def engine(self) -> Engine:
        return open_store(self.db)


SETTINGS = Settings()


def read_secret(env_name: str, secrets_file: str | Path | None = None) -> str | None:
    """A credential from the environment, else from a ``KEY=value`` secrets file; never from config."""
    value = os.environ.get(env_name)
    if value:
        return value
    path = Path(secrets_file) if secrets_file else None
    if path is None or not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, rest = line.partition("=")
        if sep and key.strip() == env_name:
            return rest.strip()
    return None
