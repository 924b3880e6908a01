"""«Модуль ПОО» («Сетевой город. Образование» for colleges): transport, sessions and wire models.

No business rules and no SQL here: the client fetches, ``connectors.poo.pull``
walks a whole college, ``mapping.poo`` translates, the sync job ingests.
"""
