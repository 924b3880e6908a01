"""One sync run per source, end to end: pull → map → guard → ingest → run record.

The ``sverka`` commands, the scheduler's jobs and the demo all start a run
through these modules, so a platform's run exists once.
"""
