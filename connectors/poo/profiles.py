"""Deployment profiles as data: which host, which time zone, which tenant.

The seventeen regional hosts live in ``deployments.toml`` beside this module;
a sync config names one of them (or gives its own ``base_url`` for an
emulator or a host not yet listed).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Deployment:
    key: str
    region: str
    base_url: str
    timezone: str
    tenant: str = ""
    """``spo_<n>`` of one college; empty: the tenant the login answer names."""

    @property
    def host(self) -> str:
        parts = urlsplit(self.base_url)
        return parts.netloc or self.base_url

    @property
    def deployment_id(self) -> str:
        """The ``deployment`` of every record's source: host plus tenant."""
        return f"{self.host}/{self.tenant}" if self.tenant else self.host

    def with_overrides(
        self, *, base_url: str | None = None, tenant: str | None = None, timezone: str | None = None
    ) -> Deployment:
        return replace(
            self,
            base_url=base_url or self.base_url,
            tenant=self.tenant if tenant is None else tenant,
            timezone=timezone or self.timezone,
        )


def known_deployments() -> dict[str, Deployment]:
    text = resources.files("connectors.poo").joinpath("deployments.toml").read_text("utf-8")
    data = tomllib.loads(text)["deployments"]
    return {
        key: Deployment(
            key=key,
            region=str(entry["region"]),
            base_url=str(entry["base_url"]),
            timezone=str(entry["timezone"]),
            tenant=str(entry.get("tenant", "")),
        )
        for key, entry in data.items()
    }


def find_deployment(name: str) -> Deployment | None:
    """By key (``poo-tomedu``) or host (``poo.tomedu.ru``)."""
    known = known_deployments()
    if name in known:
        return known[name]
    for deployment in known.values():
        if deployment.host == name or deployment.base_url.rstrip("/") == name.rstrip("/"):
            return deployment
    return None
