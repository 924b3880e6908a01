"""Serving the pages: uvicorn on the given address, the store and accounts named by the settings."""

from __future__ import annotations

from sqlalchemy import Engine

from web.users import Accounts


def serve(engine: Engine, accounts: Accounts, host: str, port: int) -> None:
    import uvicorn

    from web.app import create_app

    # access_log off: request lines carry query strings, and the pages' URLs are kept free of
    # personal data, but a mistyped address could still carry some into the log
    uvicorn.run(
        create_app(engine, accounts), host=host, port=port, log_level="warning", access_log=False
    )
