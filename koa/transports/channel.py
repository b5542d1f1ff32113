"""The interface between a transport and the core for one request."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from koa.response import Response


class Channel(Protocol):
    """What a transport hands the core with each Request.

    `receive()` gives the next chunk of the request body and `b""` at its end (a
    transport sends `100 Continue` on the first call when the client expects it).
    `discard_body()` says the rest of the body is not wanted (after a 413): the
    transport closes the connection once the response is written.
    """

    socket: Any

    async def receive(self) -> bytes: ...

    def discard_body(self) -> None: ...

    @property
    def writable(self) -> bool: ...

    def flush_headers(self, response: Response) -> None: ...


class ClientDisconnected(ConnectionError):
    """The client went away while its request was being handled."""

    status = 400
    expose = True  # nothing reaches the client anyway; keep it out of the error log
