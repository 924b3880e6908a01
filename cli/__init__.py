"""The ``sverka`` command: the door administrators, deputies and operators use."""
