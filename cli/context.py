"""Settings every command shares: which store, how to log, where secrets come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine
from pipelines.settings import read_secret

__all__ = ["SETTINGS", "Settings", "read_secret"]


@dataclass
class Settings:
    db: str | None = None
    log_json: bool = False
    verbose: bool = False

    @property
    def url(self) -> str:
        from local_store.engine import resolve_url

        return resolve_url(self.db)

    def engine(self) -> Engine:
        from local_store.engine import open_store

        return open_store(self.db)


SETTINGS = Settings()
