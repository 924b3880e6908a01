"""The ЭлЖур emulator: ``/api`` and ``/apiv3`` on loopback, serving a scenario as of its clock."""
