"""HTTP freshness for conditional GET, as Node's `fresh` package decides it."""
from __future__ import annotations

import re
from collections.abc import Callable

_NO_CACHE = re.compile(r"(?:^|,)\s*no-cache\s*(?:,|$)")


def _http_date(value: str) -> float | None:
    from email.utils import parsedate_to_datetime  # (on first use: see koa/response.py)

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def fresh(req: Callable[[str], str], res: Callable[[str], str | None]) -> bool:
    """True when the request's validators match the response (a 304 is due)."""
    modified_since = req("if-modified-since")
    none_match = req("if-none-match")
    if not modified_since and not none_match:
        return False
    cache_control = req("cache-control")
    if cache_control and _NO_CACHE.search(cache_control):
        return False
    if none_match and none_match != "*":
        etag = res("etag")
        if not etag:
            return False
        for match in (m.strip() for m in none_match.split(",")):
            if match == etag or match == "W/" + etag or "W/" + match == etag:
                break
        else:
            return False
    if modified_since:
        last_modified = res("last-modified")
        if not last_modified:
            return False
        lm, ms = _http_date(last_modified), _http_date(modified_since)
        if lm is None or ms is None or lm > ms:
            return False
    return True
