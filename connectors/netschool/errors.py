"""What can go wrong talking to NetSchool, and the one table that decides what to do about it.

Every failure of one request is looked up in :data:`ERROR_TABLE`: transient
ones are retried (honouring ``Retry-After``), the rest end the pull with one
Russian sentence the user can act on.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx


class NetSchoolError(Exception):
    """A failure that ends a pull; ``str()`` is a Russian sentence for the user."""


class AuthFailed(NetSchoolError):
    pass


class Unreachable(NetSchoolError):
    pass


class ServerHangs(NetSchoolError):
    pass


class UnsupportedVersion(NetSchoolError):
    pass


class BudgetExceeded(NetSchoolError):
    pass


class ProtocolFailure(NetSchoolError):
    """The server keeps answering something the connector cannot use."""


class MalformedAnswer(Exception):
    """A body that is not the JSON expected (cut short, garbled): transient until proven otherwise."""


@dataclass(frozen=True)
class Rule:
    matches: Callable[[BaseException], bool]
    retry: bool
    final: Callable[[BaseException, str], NetSchoolError]
    """The error to raise when retries are exhausted (or at once if ``retry`` is false)."""


def _status(exc: BaseException, *codes: int) -> bool:
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in codes


def _server_error(exc: BaseException) -> bool:
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500


def _code(exc: BaseException) -> int:
    return exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else 0


ERROR_TABLE: tuple[Rule, ...] = (
    Rule(
        lambda e: isinstance(e, httpx.ConnectError | httpx.ConnectTimeout),
        True,
        lambda e, host: Unreachable(f"сервер {host} недоступен: соединение не устанавливается"),
    ),
    Rule(
        lambda e: isinstance(e, httpx.TimeoutException),
        True,
        lambda e, host: ServerHangs(
            f"сервер {host} не отвечает: ответ не пришёл за отведённое время"
        ),
    ),
    Rule(
        lambda e: isinstance(e, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError),
        True,
        lambda e, host: Unreachable(f"сервер {host} обрывает соединение"),
    ),
    Rule(
        lambda e: _status(e, 429),
        True,
        lambda e, host: ProtocolFailure(
            f"сервер {host} ограничивает частоту запросов (429) и не снял ограничение"
        ),
    ),
    Rule(
        _server_error,
        True,
        lambda e, host: ProtocolFailure(f"сервер {host} отвечает ошибкой {_code(e)}"),
    ),
    Rule(
        lambda e: isinstance(e, MalformedAnswer),
        True,
        lambda e, host: ProtocolFailure(f"сервер {host} присылает повреждённые ответы: {e}"),
    ),
    Rule(
        lambda e: _status(e, 401),
        False,
        lambda e, host: AuthFailed(f"сервер {host} не принимает сеанс даже после повторного входа"),
    ),
    Rule(
        lambda e: _status(e, 403),
        False,
        lambda e, host: AuthFailed(
            f"у учётной записи нет прав на этот раздел на сервере {host} "
            "(нужна учётная запись завуча или администратора)"
        ),
    ),
    Rule(
        lambda e: isinstance(e, httpx.HTTPStatusError),
        False,
        lambda e, host: ProtocolFailure(
            f"сервер {host} ответил {_code(e)} на {e.request.url.path if isinstance(e, httpx.HTTPStatusError) else ''}"
        ),
    ),
)


def rule_for(exc: BaseException) -> Rule | None:
    for rule in ERROR_TABLE:
        if rule.matches(exc):
            return rule
    return None


def is_transient(exc: BaseException) -> bool:
    rule = rule_for(exc)
    return rule is not None and rule.retry


def retry_after(exc: BaseException, now: float | None = None) -> float | None:
    """Seconds the server asked to wait (``Retry-After`` as seconds or an HTTP date)."""
    if not isinstance(exc, httpx.HTTPStatusError):
        return None
    value = exc.response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def final_error(exc: BaseException, host: str) -> NetSchoolError:
    if isinstance(exc, NetSchoolError):
        return exc
    rule = rule_for(exc)
    if rule is None:
        return ProtocolFailure(f"непредвиденный сбой обмена с сервером {host}: {exc!r}")
    return rule.final(exc, host)
