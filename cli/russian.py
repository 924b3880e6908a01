"""Click's and Typer's own words in Russian: help, usage and error messages.

Click marks every text it prints for gettext but ships no Russian catalogue,
and Typer (0.2x) carries its own copy of Click with the English written in.
So :func:`install` points Click's ``_``/``ngettext`` at the table below (a
text it does not know stays as it is), sets Typer's panel titles, which it
computes once at import, and renames the help option and the usage prefix of
Typer's Click.  Typer's parser errors ("No such option: …") are f-strings with
nothing to hook: ``cli.usage_errors`` words them in Russian at the error boundary.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

MESSAGES: dict[str, str] = {
    "Show this message and exit.": "Показать эту справку и выйти.",
    "Show the version and exit.": "Показать версию и выйти.",
    "Usage:": "Использование:",
    "Options": "Параметры",
    "Arguments": "Аргументы",
    "Commands": "Команды",
    "Positional arguments": "Позиционные аргументы",
    "Error": "Ошибка",
    "Error: {message}": "Ошибка: {message}",
    "Aborted.": "Прервано.",
    "Aborted!": "Прервано.",
    "Try '{command} {option}' for help.": "Справка: «{command} {option}».",
    "Try [blue]'{command_path} {help_option}'[/] for help.": (
        "Справка: [blue]«{command_path} {help_option}»[/]."
    ),
    "Missing argument": "Не указан аргумент",
    "Missing option": "Не указан параметр",
    "Missing parameter": "Не указан параметр",
    "Missing parameter: {param_name}": "Не указан параметр: {param_name}",
    "Missing {param_type}": "Не указан {param_type}",
    "Missing command.": "Не указана команда.",
    "No such command {name!r}.": "Нет такой команды {name!r}.",
    "No such option {name!r}.": "Нет такого параметра {name!r}.",
    "Option {name!r} does not take a value.": "Параметр {name!r} не принимает значения.",
    "Option {name!r} requires an argument.": "Параметру {name!r} нужно значение.",
    "Option {name!r} requires {nargs} arguments.": "Параметру {name!r} нужно значений: {nargs}.",
    "Invalid value for {param_hint}: {message}": "Недопустимое значение {param_hint}: {message}",
    "Invalid value: {message}": "Недопустимое значение: {message}",
    "Got unexpected extra argument ({args})": "Лишний аргумент ({args})",
    "Got unexpected extra arguments ({args})": "Лишние аргументы ({args})",
    "Did you mean {possibility}?": "Может быть, {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Может быть, одно из: {possibilities}?)",
    "{value!r} is not {choice}.": "{value!r} — не {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} — не одно из: {choices}.",
    "{value!r} is not a valid {number_type}.": "{value!r} — не {number_type}.",
    "{value} is not in the range {range}.": "{value} вне диапазона {range}.",
    "{value!r} does not match the format {format}.": "{value!r} не в формате {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} не в форматах {formats}.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} не существует.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} — папка.",
    "{name} {filename!r} is a file.": "{name} {filename!r} — файл.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} не читается.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} не записывается.",
    "Could not open file {filename!r}: {message}": "Не открыть файл {filename!r}: {message}",
    "file": "файл",
    "directory": "папка",
    "path": "путь",
    "[default: {}]": "[по умолчанию: {}]",
    "default: {default}": "по умолчанию: {default}",
    "[env var: {}]": "[переменная окружения: {}]",
    "env var: {var}": "переменная окружения: {var}",
    "[required]": "[обязательно]",
    "required": "обязательно",
    "(deprecated) ": "(устарело) ",
    "deprecated": "устарело",
    "Do you want to continue?": "Продолжить?",
    "Confirm the action without prompting.": "Подтвердить без вопроса.",
    "unknown error": "неизвестная ошибка",
}


def translate(message: str) -> str:
    return MESSAGES.get(message, message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


def install() -> None:
    """Make Click and Typer speak Russian in this process (idempotent)."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types
    import typer.core
    import typer.rich_utils

    modules: tuple[ModuleType, ...] = (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.types,
        typer.core,
        typer.rich_utils,
    )
    for module in modules:
        if hasattr(module, "_"):
            module._ = translate  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = translate_plural  # type: ignore[attr-defined]
    ru = typer.rich_utils
    ru.DEPRECATED_STRING = translate("(deprecated) ")
    ru.DEFAULT_STRING = translate("[default: {}]")
    ru.ENVVAR_STRING = translate("[env var: {}]")
    ru.REQUIRED_LONG_STRING = translate("[required]")
    ru.ARGUMENTS_PANEL_TITLE = translate("Arguments")
    ru.OPTIONS_PANEL_TITLE = translate("Options")
    ru.COMMANDS_PANEL_TITLE = translate("Commands")
    ru.ERRORS_PANEL_TITLE = translate("Error")
    ru.ABORTED_TEXT = translate("Aborted.")
    ru.RICH_HELP = translate("Try [blue]'{command_path} {help_option}'[/] for help.")
    _rename_typer_click()


def _rename_typer_click() -> None:
    """The help option's text and the usage prefix of Typer's own Click (private API:
    a Typer without it simply keeps its English)."""
    try:
        from typer._click.core import Command
        from typer._click.formatting import HelpFormatter
    except ImportError:
        return
    if getattr(Command.get_help_option, "_russian", False):
        return
    original_help = Command.get_help_option
    original_usage = HelpFormatter.write_usage

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original_help(self, ctx)
        if option is not None:
            option.help = translate("Show this message and exit.")
        return option

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        original_usage(self, prog, args, translate("Usage:") + " " if prefix is None else prefix)

    get_help_option._russian = True  # type: ignore[attr-defined]
    Command.get_help_option = get_help_option  # type: ignore[method-assign]
    HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]
