"""koa's standard middleware: one factory per Koa counterpart."""
from __future__ import annotations

from koa.middleware.asgi import asgi
from koa.middleware.body_parser import body_parser
from koa.middleware.compress import compress
from koa.middleware.conditional import conditional
from koa.middleware.cors import cors
from koa.middleware.etag import etag
from koa.middleware.helmet import helmet
from koa.middleware.logger import logger
from koa.middleware.mount import mount
from koa.middleware.response_time import response_time
from koa.middleware.send import send
from koa.middleware.serve import serve
from koa.middleware.session import session
from koa.middleware.timeout import timeout

__all__ = [
    "asgi",
    "body_parser",
    "compress",
    "conditional",
    "cors",
    "etag",
    "helmet",
    "logger",
    "mount",
    "response_time",
    "send",
    "serve",
    "session",
    "timeout",
]
