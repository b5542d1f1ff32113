"""ETag header, like koa-etag (the `etag` package's tags)."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
from pathlib import PurePath
from typing import Any

from koa.context import Context
from koa.response import encode_json
from koa.types import Middleware, Next

_EMPTY_TAG = '"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"'


def entity_tag(entity: bytes) -> str:
    """The `etag` package's tag of a body: `"<length hex>-<sha1 base64, 27 chars>"`."""
    if not entity:
        return _EMPTY_TAG
    digest = base64.b64encode(hashlib.sha1(entity, usedforsecurity=False).digest()).decode()[:27]
    return f'"{len(entity):x}-{digest}"'


def stat_tag(st: os.stat_result) -> str:
    """The `etag` package's tag of a file: `"<size hex>-<mtime ms hex>"`."""
    return f'"{st.st_size:x}-{st.st_mtime_ns // 1_000_000:x}"'


def _file_stat(body: Any) -> os.stat_result | None:
    try:
        if isinstance(body, PurePath):
            return os.stat(body)
        return os.fstat(body.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None


def etag(*, weak: bool | None = None) -> Middleware:
    """koa-etag: after downstream, tag a 2xx body that has no ETag yet.

    Text, bytes and JSON bodies get a strong tag of their content, files (a Path or an
    open file) a weak one from size and mtime; streams are left alone. `weak=True`
    makes every tag weak, `weak=False` every tag strong.
    """
    if weak is not None and not isinstance(weak, bool):
        raise TypeError(f"weak must be a bool or None, got {weak!r}")
    content_prefix = "W/" if weak else ""
    file_prefix = "" if weak is False else "W/"

    async def etag_middleware(ctx: Context, next: Next) -> None:
        await next()
        response = ctx.response
        body = response.body
        if body is None or response.has("ETag") or response.status // 100 != 2:
            return
        if isinstance(body, str):
            tag = content_prefix + entity_tag(body.encode())
        elif isinstance(body, (bytes, bytearray, memoryview)):
            tag = content_prefix + entity_tag(bytes(body))
        elif isinstance(body, (PurePath, io.IOBase)):
            st = await asyncio.get_running_loop().run_in_executor(None, _file_stat, body)
            if st is None:
                return
            tag = file_prefix + stat_tag(st)
        elif hasattr(body, "__aiter__"):
            return
        else:
            tag = content_prefix + entity_tag(encode_json(body))
        response.set("ETag", tag)

    return etag_middleware
