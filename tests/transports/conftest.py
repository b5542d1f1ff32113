"""Fixtures of the transport suites: every test taking `served` runs once per transport.

`served(app)` serves `app` on the current transport and yields an httpx.AsyncClient for it
(see serving.py). `client` and `fetch` here shadow tests/conftest.py's with the same
signatures, so a test written against those runs on every transport too.

To run another directory's tests on every transport, give it a conftest.py with
    from transports.serving import client, fetch, served, transport  # noqa: F401
(its tests then take one parameter per transport: `test_x[aiohttp]`, `test_x[uvicorn]`, ...).
"""
from __future__ import annotations

from transports.serving import client, fetch, served, transport

__all__ = ["client", "fetch", "served", "transport"]
