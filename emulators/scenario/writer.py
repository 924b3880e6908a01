"""Writing a scenario and its ground truth: stable bytes, optional gzip."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any


def to_bytes(data: dict[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (same data, same bytes)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def truth_path(out: str | Path) -> Path:
    """``scenario.json`` / ``scenario.json.gz`` → ``scenario.truth.json`` beside it."""
    path = Path(out)
    name = path.name
    for suffix in (".gz", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return path.with_name(f"{name}.truth.json")


def write_json(path: str | Path, data: dict[str, Any]) -> int:
    """Write ``data``; a ``.gz`` name is gzip-compressed without a timestamp. Returns the size."""
    path = Path(path)
    payload = to_bytes(data)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(payload)
    tmp.replace(path)
    return len(payload)


def write_scenario(
    out: str | Path, scenario: dict[str, Any], truth: dict[str, Any]
) -> tuple[int, Path]:
    size = write_json(out, scenario)
    truth_file = truth_path(out)
    write_json(truth_file, truth)
    return size, truth_file
