"""The one SQLAlchemy ``MetaData`` every table of the store is declared on.

It lives apart from ``local_store.schema`` so the area modules
(``*_schema.py``) can declare their tables on it without importing the core
schema, which imports them to gather every table in one place.
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)
