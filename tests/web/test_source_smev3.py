"""Issue 16: the administrator adds СМЭВ 3 from the web form, as ``sverka source add smev3``
does: a signed call is tried first (the СМЭВ emulator on loopback, test signature); a closed
port is refused in Russian with nothing written, an accepted call writes the ``[smev3]``
settings the pipelines read."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.smev3.app import build, create_app, running
from emulators.smev3.broker import BrokerConfig
from pipelines.source_setup_smev3 import load_smev3
from tests.smev3.worlds import NOW, ORG, small_world
from tests.web.client import logged_in, post_form


@pytest.fixture
def smev_url() -> Iterator[str]:
    emulator = build(small_world(), as_of=NOW, org_code=ORG, config=BrokerConfig(signature="mock"))
    with running(create_app(emulator)) as url:
        yield f"{url}/smev"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _answers(url: str) -> dict[str, str]:
    return {
        "source": "smev3",
        "url": url,
        "org_code": ORG,
        "signer": "mock",
        "timezone": "Asia/Barnaul",
        "profile": "talmenka",
    }


def test_smev3_is_offered_and_checked_before_it_is_written(
    site: str, tmp_path: Path, smev_url: str
) -> None:
    config = tmp_path / "sources" / "sverka-smev3.toml"
    with logged_in(site, "admin") as admin:
        page = admin.get("/admin/sources")
        assert 'value="smev3"' in page.text and "код организации в реестре" in page.text

        closed = f"http://127.0.0.1:{_closed_port()}/smev"
        refused = post_form(admin, "/admin/sources", "/admin/sources", _answers(closed))
        assert refused.status_code == 400, refused.text
        assert "Подключиться не удалось" in refused.text and "Настройки не записаны" in refused.text
        assert closed in refused.text and "ConnectError" not in refused.text
        assert not config.exists()

        done = post_form(admin, "/admin/sources", "/admin/sources", _answers(smev_url))
        assert done.status_code == 200, done.text
        assert "СМЭВ принял подпись, настройки записаны" in done.text
    options = load_smev3(config)
    assert (options.url, options.org_code, options.signer) == (smev_url, ORG, "mock")
    assert options.timezone == "Asia/Barnaul" and options.profile == "talmenka"
