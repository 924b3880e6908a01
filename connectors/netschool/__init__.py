"""NetSchool («Сетевой город. Образование» for schools) over its ``webapi``.

Transport, login and sessions, retries and limits, and the platform's wire
models; no business rules and no SQL (docs/protocols/netschool.md).
"""
