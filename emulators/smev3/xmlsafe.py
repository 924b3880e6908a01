"""Parsing XML that came from the outside: no DTD, no entities, no network.

An envelope with a ``<!DOCTYPE`` (and so any entity, external or a "billion
laughs" expansion) is refused before lxml sees it and again after parsing, so
that a UTF-16 document cannot slip past the byte scan.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

_DANGEROUS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

MAX_BYTES = 5 * 1024 * 1024
"""СМЭВ 3 takes business data up to 5 MB in the envelope; larger travels as attachments."""
MAX_ELEMENTS = 200_000
"""More elements than any real message holds: a flood to stall whoever walks the tree."""


class HostileXmlError(ValueError):
    """The document declares a DTD or entities: refused without expanding anything."""


class MalformedXmlError(ValueError):
    """Not well-formed XML."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class OversizedXmlError(ValueError):
    """The document is larger, or has more elements, than any real message."""


def parse_untrusted(data: bytes) -> etree._Element:
    if len(data) > MAX_BYTES:
        raise OversizedXmlError(
            f"сообщение больше допустимого: {len(data) / 1048576:.1f} МБ при пределе "
            f"{MAX_BYTES / 1048576:.0f} МБ"
        )
    if _DANGEROUS.search(data):
        raise HostileXmlError("документ содержит DTD или объявления сущностей")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXmlError(f"документ не является корректным XML: {exc}") from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise HostileXmlError("документ содержит DTD")
    for count, node in enumerate(root.iter(), start=1):
        if isinstance(node, etree._Entity):
            raise HostileXmlError("документ содержит ссылки на сущности")
        if count > MAX_ELEMENTS:
            raise OversizedXmlError(f"сообщение содержит больше {MAX_ELEMENTS} элементов")
    return root
