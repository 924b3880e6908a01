"""Settings every command shares: which store, how to log, where secrets come from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from local_store.engine import open_store, resolve_url
from pipelines.settings import read_secret

__all__ = ["SETTINGS", "Settings", "read_secret"]


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
