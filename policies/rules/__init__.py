"""Every rule family; importing this package registers each rule unit."""

from policies.rules import lesson  # noqa: F401
