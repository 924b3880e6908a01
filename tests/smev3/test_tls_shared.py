"""Every СМЭВ client shares one verifying TLS context per CA source (not one per client)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import certifi
import pytest

from connectors.smev3.adapter import AdapterClient
from connectors.smev3.client import SmevClient, SmevSettings
from connectors.tls import tls_context


def _contexts(client: SmevClient | AdapterClient) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """The contexts of the exchange client and of zeep's WSDL client (httpx internals)."""
    http: Any = client.transport.client._transport
    wsdl: Any = client.transport.wsdl_client._transport
    return http._pool._ssl_context, wsdl._pool._ssl_context


def test_clients_share_one_verifying_context() -> None:
    settings = SmevSettings("https://127.0.0.1:1/smev")
    first = SmevClient(settings)
    second = SmevClient(settings)
    adapter = AdapterClient(settings, "MNEMONIC")
    try:
        shared = tls_context(trust_env=False)
        for client in (first, second, adapter):
            assert _contexts(client) == (shared, shared)
        assert shared.verify_mode == ssl.CERT_REQUIRED
        assert shared.check_hostname
        assert shared.cert_store_stats()["x509_ca"] > 0
    finally:
        for client in (first, second, adapter):
            asyncio.run(client.aclose())


def test_ca_file_from_environment_gets_its_own_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    default = tls_context()
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    own = tls_context()
    assert own is not default
    assert own is tls_context()
    assert tls_context(trust_env=False) is not own
    monkeypatch.delenv("SSL_CERT_FILE")
    assert tls_context() is default
