"""The client's error table on answers our emulator never gives (an unknown server's shapes)."""

from __future__ import annotations

import json

import httpx
import pytest

from connectors.poo.client import PooClient
from connectors.poo.errors import Unexpected, Unreachable, is_retryable
from connectors.poo.profiles import Deployment, find_deployment, known_deployments
from connectors.poo.pull import pull_structure

LOGIN_BODY = {
    "tenantName": "spo_5",
    "tenants": {"spo_5": {"employeeRole": {"id": 1, "permissions": [200, 507, 509, 700]}}},
}


def _server(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/services/security/login":
        return httpx.Response(200, json=LOGIN_BODY, headers={"set-cookie": "UID=1; Path=/"})
    if request.url.path == "/services/people/departments/all":
        return httpx.Response(200, content=json.dumps({"departments": []}))
    return httpx.Response(200, json=[])


async def test_an_unknown_shape_is_a_russian_error_naming_the_request() -> None:
    deployment = Deployment("x", "", "https://poo.example", "Asia/Tomsk", "spo_5")
    async with PooClient(
        deployment, "u", "p", pause=0, transport=httpx.MockTransport(_server)
    ) as client:
        with pytest.raises(Unexpected) as caught:
            await pull_structure(client)
    assert "/services/people/departments/all" in str(caught.value)
    assert not is_retryable(caught.value)


async def test_unsupported_scheme_is_unreachable() -> None:
    deployment = Deployment("x", "", "ftp://poo.example", "Asia/Tomsk", "spo_5")
    with pytest.raises(Unreachable) as caught:
        async with PooClient(deployment, "u", "p", pause=0, attempts=1):
            pass
    assert "не поддерживается" in str(caught.value)


def test_seventeen_known_deployments() -> None:
    known = known_deployments()
    assert len(known) == 17
    hosts = {d.host for d in known.values()}
    assert {"spo.asurso.ru", "poo.tomedu.ru", "poo.edu-74.ru"} <= hosts
    tomsk = find_deployment("poo.tomedu.ru")
    assert tomsk is not None and tomsk.timezone == "Asia/Tomsk"
    assert tomsk.with_overrides(tenant="spo_30").deployment_id == "poo.tomedu.ru/spo_30"
