"""Turning failures into one clear Russian sentence instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from pipelines.settings import SettingsError

err_console = Console(stderr=True, soft_wrap=True)


class UserError(Exception):
    """A failure the user can act on; its message is shown as is (in Russian)."""


@contextmanager
def user_errors(
    *known: type[BaseException], render: Callable[[BaseException], str] = str
) -> Iterator[None]:
    """Show ``UserError``, ``SettingsError`` and the ``known`` exception types as a red line and exit with 1."""
    try:
        yield
    except (UserError, SettingsError) as exc:
        err_console.print(f"[red]Ошибка:[/red] {exc}")
        raise typer.Exit(1) from None
    except known as exc:
        err_console.print(f"[red]Ошибка:[/red] {render(exc)}")
        raise typer.Exit(1) from None
