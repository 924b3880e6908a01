"""``sverka scenario …``: generate synthetic institutions and list their accounts."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Сценарии: синтетическая образовательная организация во времени.", no_args_is_help=True
)
