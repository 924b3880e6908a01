"""An httpx session against the running pages: log in through the form, post forms with their token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.web.world import PASSWORD

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "на странице нет поля csrf"
    return found.group(1)


@contextmanager
def logged_in(base: str, login: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"csrf": token, "login": login, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        yield client


def post_form(client: httpx.Client, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Post ``data`` to ``action`` with the token of the session's page ``page``."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf": token, **data})
