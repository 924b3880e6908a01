"""Where ЭлЖур lives: the deployment table (``deployments.toml``) and the base URL of a school."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Deployment:
    key: str
    host_template: str
    api: str = "/apiv3"
    kind: str = "vendor"
    timezone: str = "Europe/Moscow"
    region: str = ""
    vendor: str = ""
    """A regional host's fixed vendor (``school`` on school.nso.ru); empty: the school's own."""

    def base_url(self, vendor: str) -> str:
        """The API root for ``vendor``, e.g. ``https://mazanka.eljur.ru/apiv3``."""
        return self.host_template.format(vendor=vendor).rstrip("/") + self.api

    def with_overrides(self, **values: Any) -> Deployment:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


@cache
def _data() -> dict[str, Any]:
    text = resources.files("connectors.eljur").joinpath("deployments.toml").read_text("utf-8")
    return tomllib.loads(text)


def known_deployments() -> dict[str, Deployment]:
    return {key: Deployment(key=key, **values) for key, values in _data()["deployments"].items()}


def find_deployment(key: str) -> Deployment | None:
    """A deployment by its key, or by a school host under it (``mazanka.eljur.ru`` → ``eljur.ru``)."""
    known = known_deployments()
    if key in known:
        return known[key]
    for name, found in known.items():
        if found.kind == "vendor" and key.endswith("." + name):
            return found
    return None


def vendor_from_host(host: str) -> str:
    """``mazanka.eljur.ru`` → ``mazanka``."""
    return host.split(".")[0]
