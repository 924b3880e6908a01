"""The observing store: what Sverka saw, from which source, and when.

Public entry points: :func:`local_store.engine.open_store` and
:func:`local_store.engine.migrate` to get a ready database,
:mod:`local_store.runs` for sync runs, :func:`local_store.ingest.ingest` to
record a canonical snapshot, :mod:`local_store.history` to read it back as of
any run.
"""
