"""Small builders for the business documents the bots write and read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree


def sub(parent: etree._Element, ns: str, name: str, value: Any = None) -> etree._Element | None:
    """Append ``<name>value</name>``; nothing when ``value`` is None or empty."""
    if value is None or value == "":
        return None
    child = etree.SubElement(parent, f"{{{ns}}}{name}")
    child.text = value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
    return child


def node(parent: etree._Element, ns: str, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ns}}}{name}")


def text(element: etree._Element | None, ns: str, path: str) -> str | None:
    if element is None:
        return None
    found = element.find("/".join(f"{{{ns}}}{p}" for p in path.split("/")))
    if found is None or found.text is None:
        return None
    return found.text.strip()


def as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
