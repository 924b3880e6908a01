"""A violation as JSON: the shape ``sverka violations --format json`` and the demo write."""

from __future__ import annotations

import datetime as dt
from typing import Any


def violation_json(v: dict[str, Any]) -> dict[str, Any]:
    """One violation row of ``list_violations`` in the ``sverka-violations`` JSON shape."""

    def moment(value: Any) -> str | None:
        return value.isoformat() if isinstance(value, dt.datetime | dt.date) else None

    return {
        "id": v["id"],
        "fingerprint": v["fingerprint"],
        "rule_id": v["rule_id"],
        "profile_id": v["profile_id"],
        "status": v["status"],
        "verdict": v["verdict"],
        "severity": v["severity"],
        "entity": {
            "kind": v["entity_kind"],
            "deployment": v["deployment"],
            "id": v["entity_key"],
        },
        "period": v["period_key"] or None,
        "group": v["group_key"],
        "responsible": {"role": v["responsible_role"], "person": v["responsible_person"]},
        "clause": v["clause"],
        "message": v["message"],
        "deadline": moment(v["deadline"]),
        "evidence": v["evidence"],
        "first_detected_at": moment(v["first_detected_at"]),
        "acknowledged_at": moment(v["acknowledged_at"]),
        "approval": (
            {
                "document": v["approval_document"],
                "date": moment(v["approval_date"]),
                "approved_by": v["approved_by"],
                "approved_at": moment(v["approved_at"]),
            }
            if v["approval_document"]
            else None
        ),
        "resolved_at": moment(v["resolved_at"]),
    }
