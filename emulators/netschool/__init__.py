"""An emulator of NetSchool («Сетевой город. Образование») for schools, on loopback.

It renders a scenario world as of its own controllable clock through the
classic ``webapi`` (password login, staff journal, student diary) and the
mobile API, with fault knobs.  It never imports the connector or the mapping:
it must not share code with the client it tests.
"""
