"""Party bots: the other side of each exchange, played from the scenario."""

from emulators.smev3.parties.e_uslugi import EUslugiBot
from emulators.smev3.parties.epgu import EpguBot
from emulators.smev3.parties.registry import RegistryBot

__all__ = ["EUslugiBot", "EpguBot", "RegistryBot"]
