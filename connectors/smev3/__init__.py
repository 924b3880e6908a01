"""СМЭВ 3 transport: zeep's async client over httpx, local schemas only.

The narrow interface the business connectors use (send a request, poll
responses or requests, acknowledge, answer) hides zeep; signing is a
pluggable object applied after every plugin, and every envelope sent and
received is reported to an audit callback (the store keeps it).
"""
