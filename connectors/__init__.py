"""Connectors: one package per platform (transport, sessions, wire models; no business rules, no SQL)."""
