"""What can go wrong talking to an ЭлЖур host, and whether another attempt may help: one table.

Every failure becomes one :class:`EljurError` subclass with a one-sentence
Russian message; :data:`ERROR_TABLE` says which are worth retrying, so retry
decisions live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

# errorCode values of the emulator's auth answers (our design, eljur-emulated.md); texts
# are matched too, since no public list of ЭлЖур's codes exists (eljur.md §4).
CODE_DEVKEY, CODE_VENDOR, CODE_CREDENTIALS, CODE_TOKEN, CODE_RULES = 1, 2, 3, 4, 5


class EljurError(Exception):
    """A failure with a Russian one-line message a person can act on."""


class WrongDevkey(EljurError):
    pass


class WrongVendor(EljurError):
    pass


class WrongCredentials(EljurError):
    pass


class TokenRejected(EljurError):
    """The token expired or was revoked: log in again once."""


class Forbidden(EljurError):
    """A method outside the relation's ``rules``."""


class Refused(EljurError):
    """Any other error envelope (4xx) the connector cannot fix by retrying."""


class Unreachable(EljurError):
    pass


class Hanging(EljurError):
    pass


class Dropped(EljurError):
    pass


class ServerError(EljurError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(ServerError):
    pass


class Malformed(EljurError):
    """An answer that is not the JSON envelope it should be."""


class Unexpected(EljurError):
    """A valid envelope whose result has a shape the connector does not know."""


@dataclass(frozen=True)
class Rule:
    retry: bool
    message: str


ERROR_TABLE: dict[type[EljurError], Rule] = {
    WrongDevkey: Rule(False, "ключ разработчика (devkey) не принят"),
    WrongVendor: Rule(False, "школа (vendor) не найдена на сервере"),
    WrongCredentials: Rule(False, "неверный логин или пароль"),
    TokenRejected: Rule(False, "токен отклонён"),
    Forbidden: Rule(False, "метод недоступен учётной записи"),
    Refused: Rule(False, "сервер отклонил запрос"),
    Unreachable: Rule(True, "сервер недоступен"),
    Hanging: Rule(True, "сервер не отвечает"),
    Dropped: Rule(True, "соединение оборвалось"),
    ServerError: Rule(True, "ошибка на стороне сервера"),
    Throttled: Rule(True, "сервер ограничил частоту запросов"),
    Malformed: Rule(True, "сервер прислал повреждённый ответ"),
    Unexpected: Rule(False, "ответ сервера неожиданного вида"),
}


def is_retryable(exc: BaseException) -> bool:
    for cls in type(exc).__mro__:
        rule = ERROR_TABLE.get(cls)
        if rule is not None:
            return rule.retry
    return False


def from_transport(exc: httpx.TransportError, host: str) -> EljurError:
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Unreachable(
            f"адрес сервера ЭлЖур {host} не поддерживается: нужен http:// или https://"
        )
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return Unreachable(f"сервер ЭлЖур {host} недоступен: не удалось установить соединение")
    if isinstance(exc, httpx.TimeoutException):
        return Hanging(f"сервер ЭлЖур {host} не ответил вовремя")
    return Dropped(f"соединение с сервером ЭлЖур {host} оборвалось во время ответа")


def from_envelope(
    method: str, status: int, text: str, code: int | None, host: str, vendor: str
) -> EljurError:
    """An error envelope as the table's class, by ``errorCode`` first and the text second."""
    lowered = text.lower()
    said = f": «{text}»" if text else ""
    if code == CODE_DEVKEY or "разработчик" in lowered or "devkey" in lowered:
        return WrongDevkey(f"сервер ЭлЖур {host} не принял ключ разработчика (devkey){said}")
    if code == CODE_VENDOR or "vendor" in lowered:
        return WrongVendor(f"на сервере ЭлЖур {host} нет школы «{vendor}» (vendor){said}")
    if method == "auth" and (code == CODE_CREDENTIALS or status in (400, 401, 403)):
        return WrongCredentials(f"ЭлЖур {host} не принял логин или пароль{said}")
    if code == CODE_TOKEN or status == 401:
        return TokenRejected(f"ЭлЖур {host} отклонил токен{said}")
    if code == CODE_RULES or status == 403:
        return Forbidden(f"ЭлЖур {host}: метод {method} недоступен учётной записи{said}")
    if status == 429:
        return Throttled(f"сервер ЭлЖур {host} ограничил частоту запросов")
    if status >= 500:
        return ServerError(f"сервер ЭлЖур {host} ответил ошибкой {status} на {method}")
    return Refused(f"ЭлЖур {host} отклонил запрос {method} (код {status}){said}")
