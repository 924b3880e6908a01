"""What can go wrong talking to a ПОО host, and what to do about each: the error table.

Every failure becomes one :class:`PooError` subclass with a one-sentence
Russian message; :data:`ERROR_TABLE` says which of them are worth another
attempt, so retry decisions live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

PERMISSIONS = {
    200: ("ViewGradebook", "просмотр журнала"),
    201: ("EditGradebook", "редактирование журнала"),
    507: ("ViewStudents", "просмотр студентов"),
    508: ("ViewStudentsPersonalInfo", "просмотр персональных данных студентов"),
    509: ("ViewEmployees", "просмотр сотрудников"),
    700: ("ViewReports", "просмотр отчётов"),
}
"""Permission codes of ``employeeRole.permissions`` (vendor's ``securityManager.permissions``)."""

REQUIRED_PERMISSIONS = (200, 507, 509, 700)
"""What a whole-college pull needs."""


def permission_label(code: int) -> str:
    name, title = PERMISSIONS.get(code, (str(code), "неизвестное право"))
    return f"«{title}» ({name}, код {code})"


class PooError(Exception):
    """A failure with a Russian one-line message a person can act on."""


class WrongCredentials(PooError):
    pass


class SessionLimit(PooError):
    """The host refuses another session for this account (P‑AIS: "session limit exceeded")."""


class SessionLapsed(PooError):
    """401 or a redirect to the login page even after logging in again."""


class MissingPermission(PooError):
    def __init__(self, codes: tuple[int, ...], route: str | None = None) -> None:
        self.codes = codes
        labels = ", ".join(permission_label(c) for c in codes)
        where = f" (запрос {route})" if route else ""
        word = "права" if len(codes) == 1 else "прав"
        super().__init__(f"у учётной записи нет {word} {labels}{where}")


class NotFound(PooError):
    pass


class BadRequest(PooError):
    pass


class Unreachable(PooError):
    pass


class Hanging(PooError):
    """The host accepted the connection but did not answer in time."""


class Dropped(PooError):
    """The connection broke mid-answer."""


class ServerError(PooError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(ServerError):
    pass


class Malformed(PooError):
    """An answer that is not the JSON it should be."""


class Unexpected(PooError):
    """Valid JSON of a shape the connector does not know (a different server version)."""


@dataclass(frozen=True)
class Rule:
    retry: bool
    message: str


ERROR_TABLE: dict[type[PooError], Rule] = {
    WrongCredentials: Rule(False, "неверный логин или пароль"),
    SessionLimit: Rule(True, "превышено число одновременных сеансов учётной записи"),
    SessionLapsed: Rule(False, "сеанс завершается сразу после входа"),
    MissingPermission: Rule(False, "недостаточно прав"),
    NotFound: Rule(False, "объект не найден"),
    BadRequest: Rule(False, "некорректный запрос"),
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


def from_transport(exc: httpx.TransportError, url: str) -> PooError:
    """An httpx transport failure as the table's class."""
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Unreachable(f"адрес {url} не поддерживается: нужен http:// или https://")
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return Unreachable(f"сервер {url} недоступен: не удалось установить соединение")
    if isinstance(exc, httpx.TimeoutException):
        return Hanging(f"сервер {url} не ответил вовремя")
    return Dropped(f"соединение с {url} оборвалось во время ответа")
