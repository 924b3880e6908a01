"""Accounts, tenants and ASP.NET-style cookie sessions of the emulator.

The auth cookie may be chunked (``.AspNetCore.Cookies=chunks-2`` plus
``…C1``/``…C2``) so a client that keeps only the cookies it knows by name
fails here as it would on a real host.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

AUTH_COOKIE = ".AspNetCore.Cookies"
SESSION_COOKIE = ".AspNetCore.Session"
CULTURE_COOKIE = ".AspNetCore.Culture"
UID_COOKIE = "UID"

FULL_EMPLOYEE_PERMISSIONS = (
    200, 201, 202, 206, 504, 507, 508, 509, 510, 513, 600, 700, 800,
)  # fmt: skip
"""An administrator or deputy: the journal, students and employees with personal data, reports."""

TEACHER_PERMISSIONS = (200, 201)
STAFF_ACCOUNT_ROLES = frozenset(
    {"administrator", "deputy", "teacher", "class_teacher", "head_of_department", "director",
     "secretary", "employee"}
)  # fmt: skip


def password_hash(password: str) -> str:
    """base64(sha256(utf8(password))), as the login SPA sends it."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest()).decode("ascii")


@dataclass
class Account:
    login: str
    password_hash: str
    role: str
    person_id: str | None
    permissions: tuple[int, ...]
    children: tuple[str, ...] = ()
    display_name: tuple[str, str, str] = ("", "", "")

    @property
    def is_employee(self) -> bool:
        return self.role in STAFF_ACCOUNT_ROLES


def accounts_from(raw: Sequence[Mapping[str, Any]], platform: str = "poo") -> dict[str, Account]:
    """The scenario's accounts this platform knows (those for no platform or for ``poo``)."""
    out: dict[str, Account] = {}
    for entry in raw:
        if entry.get("platform") not in (None, platform):
            continue
        role = str(entry.get("role", "employee"))
        if "permissions" in entry:
            permissions = tuple(int(p) for p in entry["permissions"])
        elif role in ("administrator", "deputy", "director", "head_of_department", "employee"):
            permissions = FULL_EMPLOYEE_PERMISSIONS
        elif role in STAFF_ACCOUNT_ROLES:
            permissions = TEACHER_PERMISSIONS
        else:
            permissions = ()
        children = entry.get("children") or entry.get("student_ids") or ()
        out[str(entry["login"])] = Account(
            login=str(entry["login"]),
            password_hash=password_hash(str(entry["password"])),
            role=role,
            person_id=str(entry["person_id"]) if entry.get("person_id") else None,
            permissions=permissions,
            children=tuple(str(c) for c in children),
        )
    return out


@dataclass
class Session:
    token: str
    login: str
    tenant: str
    created: float
    last_seen: float
    requests: int = 0


@dataclass
class SessionStore:
    """Live sessions by token; thread-safe because tests poke it from another thread."""

    idle_seconds: float = 1800.0
    sessions: dict[str, Session] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _purge(self, now: float) -> None:
        for token in [t for t, s in self.sessions.items() if now - s.last_seen > self.idle_seconds]:
            del self.sessions[token]

    def live_for(self, login: str) -> int:
        with self.lock:
            self._purge(time.monotonic())
            return sum(1 for s in self.sessions.values() if s.login == login)

    def open(self, login: str, tenant: str) -> Session:
        now = time.monotonic()
        session = Session(secrets.token_hex(48), login, tenant, now, now)
        with self.lock:
            self.sessions[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self.lock:
            now = time.monotonic()
            self._purge(now)
            session = self.sessions.get(token)
            if session is not None:
                session.last_seen = now
            return session

    def close(self, token: str) -> None:
        with self.lock:
            self.sessions.pop(token, None)

    def expire_all(self, login: str | None = None) -> int:
        with self.lock:
            doomed = [t for t, s in self.sessions.items() if login in (None, s.login)]
            for token in doomed:
                del self.sessions[token]
            return len(doomed)


def token_from_cookies(cookies: Mapping[str, str]) -> str | None:
    """The session token from the auth cookie (joining chunks) or the session cookie."""
    value = cookies.get(AUTH_COOKIE)
    if value and value.startswith("chunks-"):
        try:
            count = int(value.removeprefix("chunks-"))
        except ValueError:
            return None
        parts = [cookies.get(f"{AUTH_COOKIE}C{i}") for i in range(1, count + 1)]
        if any(p is None for p in parts):
            return None
        return "".join(p for p in parts if p)
    if value:
        return value
    return cookies.get(SESSION_COOKIE)
