"""One verifying TLS context per process and per CA source, shared by every connector's clients.

httpx builds a fresh ``ssl.SSLContext`` for every client it makes, reading and parsing the whole
CA bundle each time (20–40 ms); a scheduler or the demo makes a client per sync and per СМЭВ
exchange, hundreds of them in one process.  The context built here is exactly the one httpx
would build (:func:`httpx.create_ssl_context`, certificate and host name checks on), made once
for each CA source: the ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` variables when the client trusts
the environment, certifi's bundle otherwise, so changing those variables still takes effect.

No client here uses HTTP/2; httpcore sets the ALPN list on the context before each handshake,
the same list for every HTTP/1.1 client, so sharing the context changes nothing there.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx


def tls_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """The verifying context for a client built with this ``trust_env`` (httpx's default)."""
    if not trust_env:
        return _context(False, None, None)
    return _context(True, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _context(trust_env: bool, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """Cached by the CA source: ``cert_file`` and ``cert_dir`` only key the cache, httpx reads
    the same variables itself."""
    del cert_file, cert_dir
    return httpx.create_ssl_context(trust_env=trust_env)
