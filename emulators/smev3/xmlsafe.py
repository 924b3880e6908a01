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


def parse_untrusted(data: bytes) -> etree._Element:
    if _DANGEROUS.search(data):
        raise HostileXmlError("документ содержит DTD или объявления сущностей")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXmlError(f"документ не является корректным XML: {exc}") from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise HostileXmlError("документ содержит DTD")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise HostileXmlError("документ содержит ссылки на сущности")
    return root
