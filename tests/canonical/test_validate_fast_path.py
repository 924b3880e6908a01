"""The inline fast path of ``canonical.validate.screen`` gives ``check_value``'s verdict on
every value: the same texts pass, the same are refused with the same reason."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from canonical.validate import (
    FIELD_TITLES,
    MAX_NAME,
    MAX_TEXT,
    NAME_FIELDS,
    SNILS_FIELDS,
    _reasons,
    check_value,
)

FIELDS = sorted(NAME_FIELDS | SNILS_FIELDS | set(FIELD_TITLES) | {"note", "external_id", "kind"})
EDGES = (0, 1, MAX_NAME - 1, MAX_NAME, MAX_NAME + 1, MAX_TEXT - 1, MAX_TEXT, MAX_TEXT + 1)


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Short texts of any character, digit strings shaped like a СНИЛС, and texts at the
    length limits, with a line break or a control character sometimes put in."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.text(max_size=30))
    if kind == 1:
        return draw(st.from_regex(r"\s*\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}\s*", fullmatch=True))
    base = draw(st.text(min_size=1, max_size=3))
    size = draw(st.sampled_from(EDGES))
    text = (base * (size // len(base) + 1))[:size]
    spot = draw(st.integers(0, max(size - 1, 0)))
    odd = draw(st.sampled_from(("", "\n", "\x00", "\t", " ", "\u2028", "\ud800", "\ue000")))
    return text[:spot] + odd + text[spot + len(odd) :] if odd else text


values = st.one_of(texts(), st.none(), st.integers(), st.booleans())


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8))
def test_same_verdict_as_check_value(record: dict[str, Any]) -> None:
    expected = [
        (name, reason)
        for name, value in record.items()
        if isinstance(value, str) and (reason := check_value(name, value)[1]) is not None
    ]
    assert _reasons(record) == expected
