"""An offline «Модуль ПОО» server: the college product of «Сетевой город. Образование».

It renders a scenario (``emulators.scenario.World``) as the vendor's JSON API
would show it at the emulator's clock; see ``docs/protocols/poo-emulated.md``
for which parts are documented vendor behaviour and which are our own design.
"""

from emulators.poo.app import EmulatorConfig, create_app
from emulators.poo.server import RunningEmulator, start_emulator

__all__ = ["EmulatorConfig", "RunningEmulator", "create_app", "start_emulator"]
