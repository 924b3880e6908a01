"""Every scope name the pipelines write, spelled once.

A *store scope* is what one snapshot owns completely: a record missing from the
next snapshot of the same scope was removed at the source.  A *run scope* is
the label on a sync run (``sync_run.scope``) that says what the run pulled.
Changing a store scope's spelling orphans what the store already holds under
the old one, so these strings are part of the stored data.
"""

from __future__ import annotations

import datetime as dt

# -- NetSchool ------------------------------------------------------------------------------------


def netschool_run(deployment: str, school_id: int) -> str:
    return f"netschool:{deployment}:{school_id}"


def netschool_structure(deployment: str, school_id: int) -> str:
    return f"netschool:{deployment}:structure:{school_id}"


def netschool_journal(deployment: str, class_id: int, week: dt.date) -> str:
    return f"netschool:{deployment}:journal:{class_id}:{week.isoformat()}"


def netschool_finals(deployment: str, class_id: int) -> str:
    return f"netschool:{deployment}:finals:{class_id}"


# -- «Модуль ПОО» ---------------------------------------------------------------------------------


def poo_run(label: str) -> str:
    """``college`` for the whole year, ``college:<window>`` for an incremental run."""
    return f"college:{label}" if label else "college"


def poo_structure(deployment: str) -> str:
    return f"poo:{deployment}:structure"


def poo_journal(deployment: str, group_id: int, week: dt.date) -> str:
    return f"poo:{deployment}:journal:{group_id}:{week.isoformat()}"


def poo_plan(deployment: str, group_id: int, subject_id: str) -> str:
    return f"poo:{deployment}:plan:{group_id}:{subject_id}"


def poo_attestation(deployment: str, group_id: int, period: str) -> str:
    return f"poo:{deployment}:attestation:{group_id}:{period}"


# -- the institution's files ----------------------------------------------------------------------


def local_file_run(kind: str) -> str:
    return f"file:{kind}"


def local_file(deployment: str, kind: str) -> str:
    return f"local:{deployment}:{kind}"


# -- СМЭВ 3 ---------------------------------------------------------------------------------------


def contingent_view(name: str, org_code: str) -> str:
    return f"contingent:{name}:view:{org_code}"


def contingent_feedback(name: str, key: str) -> str:
    return f"contingent:{name}:feedback:{key}"


def epgu_request(name: str, order_id: str) -> str:
    return f"epgu:{name}:request:{order_id}"


def e_uslugi_notice(name: str, application_number: str) -> str:
    return f"e_uslugi:{name}:notice:{application_number}"
