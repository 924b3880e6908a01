"""Hostile answers the emulator can send, to prove a client refuses them unexpanded."""

from __future__ import annotations

_BODY = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soap:Body>{content}</soap:Body></soap:Envelope>"
)

HOSTILE: dict[str, bytes] = {
    "dtd": (
        '<?xml version="1.0"?>\n<!DOCTYPE Envelope [<!ELEMENT Envelope ANY>]>\n'
        + _BODY.format(content="")
    ).encode(),
    "external_entity": (
        '<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + _BODY.format(content="<x>&xxe;</x>")
    ).encode(),
    "billion_laughs": (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n'
        ' <!ENTITY lol "lol">\n'
        + "".join(
            f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
            for i in range(1, 10)
        )
        + "]>\n"
        + _BODY.format(content="<x>&lol9;</x>")
    ).encode(),
}

HOSTILE["element_flood"] = _BODY.format(content="<x>" + "<a/>" * 250_000 + "</x>").encode()
"""Well-formed and small (1 MB), but a quarter of a million elements."""
HOSTILE["oversized"] = _BODY.format(content="<x>" + "Я" * (3 * 1024 * 1024) + "</x>").encode()
"""Six megabytes: over the 5 MB СМЭВ 3 takes in an envelope."""
