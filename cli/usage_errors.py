"""Typer's own usage errors («Missing option», «No such command»…) as Russian sentences.

Typer (with its built-in copy of Click) words these in English and gives most of them
structured fields (the option, the parameter, the command name); the rest are recognised by
their fixed English wording.  The sentence names what the user typed or left out; the caller
adds where to find help.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

from typer import _click

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_PATH_WORDS = {"file": "файл", "directory": "каталог", "path": "путь"}
_VALUE_REASONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"valid integer"), lambda m: "нужно целое число"),
    (re.compile(r"valid number"), lambda m: "нужно число"),
    (re.compile(r"valid boolean"), lambda m: "нужно да или нет (true/false)"),
    (re.compile(r"valid date"), lambda m: "нужна дата ГГГГ-ММ-ДД"),
    (
        re.compile(r"Input should be (.+)$"),
        lambda m: f"допустимо: {m.group(1).replace(' or ', ', ')}",
    ),
    (re.compile(r"(.+) is not one of (.+?)\.?$"), lambda m: f"допустимо: {m.group(2)}"),
    (re.compile(r"(File|Directory|Path) (.+) does not exist"), lambda m: f"{_path(m)} не найден"),
    (re.compile(r"(File|Directory|Path) (.+) is a file"), lambda m: f"{m.group(2)} — это файл"),
    (re.compile(r"(File|Directory|Path) (.+) is a dir"), lambda m: f"{m.group(2)} — это каталог"),
    (
        re.compile(r"(File|Directory|Path) (.+) is not readable"),
        lambda m: f"{_path(m)}: нет прав на чтение",
    ),
    (
        re.compile(r"(File|Directory|Path) (.+) is not writable"),
        lambda m: f"{_path(m)}: нет прав на запись",
    ),
]
_FIXED: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"No such command '(.+)'"), lambda m: f"нет такой команды «{m.group(1)}»"),
    (re.compile(r"Missing command"), lambda m: "не указана команда"),
    (
        re.compile(r"Got unexpected extra arguments?(?:\(s\))? \((.*)\)", re.S),
        lambda m: f"лишние аргументы: {m.group(1)}",
    ),
    (
        re.compile(r"Option '(.+)' requires"),
        lambda m: f"после параметра {m.group(1)} нужно значение",
    ),
    (re.compile(r"Option '(.+)' does not take"), lambda m: f"параметр {m.group(1)} без значения"),
    (
        re.compile(r"Argument '(.+)' takes (\d+)"),
        lambda m: f"аргументу {m.group(1)} нужно значений: {m.group(2)}",
    ),
]


def _path(m: re.Match[str]) -> str:
    return f"{_PATH_WORDS.get(m.group(1).lower(), 'путь')} {m.group(2)}"


def _value_reason(message: str) -> str:
    for pattern, render in _VALUE_REASONS:
        if m := pattern.search(message):
            return render(m)
    return message if _CYRILLIC.search(message) else "значение не подходит"


def _param_name(exc: _click.exceptions.BadParameter) -> str:
    hint = exc.param_hint
    if hint is not None:
        return hint if isinstance(hint, str) else " / ".join(hint)
    param = exc.param
    opts = [str(o) for o in getattr(param, "opts", []) or []]
    if opts:
        return max(opts, key=len)
    name = getattr(param, "name", None)
    return str(name).upper() if name else "параметр"


def _is_argument(exc: _click.exceptions.MissingParameter) -> bool:
    kind = exc.param_type or getattr(exc.param, "param_type_name", "")
    return kind == "argument"


def _with_guesses(text: str, guesses: object) -> str:
    names = [str(g) for g in guesses] if isinstance(guesses, list | tuple | set) else []
    return f"{text}; возможно, имелся в виду {', '.join(sorted(names))}" if names else text


def usage_sentence(exc: _click.exceptions.ClickException) -> str:
    """One Russian sentence for a usage error Typer raised."""
    if isinstance(exc, _click.exceptions.MissingParameter):
        if _is_argument(exc):
            return f"не указан обязательный аргумент {_param_name(exc).upper()}"
        return f"не указан обязательный параметр {_param_name(exc)}"
    if isinstance(exc, _click.exceptions.BadParameter):
        return f"неверное значение {_param_name(exc)}: {_value_reason(exc.message)}"
    if isinstance(exc, _click.exceptions.NoSuchOption):
        return _with_guesses(f"нет такого параметра {exc.option_name}", exc.possibilities)
    message = exc.message
    for pattern, render in _FIXED:
        if m := pattern.search(message):
            return render(m)
    return message if _CYRILLIC.search(message) else "команда вызвана неверно"


def help_hint(exc: _click.exceptions.ClickException) -> str:
    """«Справка: «sverka sync --help»» for the command the error belongs to."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        return f"Справка: «{ctx.command_path} --help»"
    # The parser raised before a context existed: the words typed before the first option.
    words = []
    for word in sys.argv[1:]:
        if word.startswith("-"):
            break
        words.append(word)
    return f"Справка: «{' '.join(['sverka', *words])} --help»"
