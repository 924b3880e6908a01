"""``sverka emulate …``: run a platform emulator on loopback for demos and manual checks.

Each emulator adds its command to :data:`emulate_app` from its own module
(``cli/emulate_<platform>.py`` or here for NetSchool).
"""

from __future__ import annotations

import typer

emulate_app = typer.Typer(
    help="Эмуляторы платформ на локальном адресе (127.0.0.1) для демонстрации и проверок.",
    no_args_is_help=True,
)
