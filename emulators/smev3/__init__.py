"""A СМЭВ 3 emulator on loopback, with the parties Sverka exchanges with.

The SOAP 1.1 face implements the message exchange (versions 1.2 and 1.3) as
described in docs/protocols/smev3-contingent-epgu.md; party bots play the
contingent registry, ЕПГУ and «Е-услуги. Образование» from a scenario.  It
loads the same WSDL/XSD files as the connector (``schemas/smev3``) but shares no
code with it.
"""

from emulators.smev3.app import create_app
from emulators.smev3.broker import Broker, BrokerConfig

__all__ = ["Broker", "BrokerConfig", "create_app"]
