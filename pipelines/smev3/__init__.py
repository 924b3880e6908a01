"""СМЭВ 3 jobs: the registry's pull and pushes, ЕПГУ applications, «Е-услуги» notices.

Each job wires a connector to the store; the CLI commands and the scheduler
call the same functions.
"""
