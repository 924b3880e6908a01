"""Deployment profiles as data: where a regional server lives and how it differs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Deployment:
    key: str
    base_url: str
    timezone: str
    region: str = ""
    product: str = ""
    search_needs_name: bool = True
    logout: str = "auto"
    referer_path: str = ""


@cache
def _data() -> dict[str, Any]:
    text = resources.files("connectors.netschool").joinpath("deployments.toml").read_text("utf-8")
    return tomllib.loads(text)


def known_deployments() -> dict[str, Deployment]:
    return {key: Deployment(key=key, **values) for key, values in _data()["deployments"].items()}


def deployment(key: str) -> Deployment | None:
    return known_deployments().get(key)


def parse_version(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in version.strip().split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def version_supported(version: str) -> bool:
    """Whether the connector knows this server version's behaviour."""
    bounds = _data()["supported_versions"]
    parsed = parse_version(version)
    if not parsed:
        return False
    return parse_version(bounds["minimum"]) <= parsed < parse_version(bounds["below"])
