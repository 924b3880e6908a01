"""Every rule family; importing this package registers each rule unit."""

from policies.rules import (  # noqa: F401
    archive,
    contingent,
    corrections,
    density,
    lesson,
    marks,
    parents,
    period,
    plans,
)
