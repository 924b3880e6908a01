"""``sverka sync …``: pull a source into the store.

Each connector adds its command to :data:`sync_app` from its own module
(``cli/sync_<platform>.py``) and that module is imported at the bottom of this
file, so ``cli/main.py`` registers the sub-app once.
"""

from __future__ import annotations

import typer

sync_app = typer.Typer(
    help="Синхронизация: забрать данные платформы в хранилище.", no_args_is_help=True
)
