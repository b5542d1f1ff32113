"""_http11.head(): heads are cached, and a cached head is never handed to a response it does not fit."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from koa.response import Response
from koa.transports import _http11


def _response(body: str = "hi", status: int | None = None) -> Response:
    response = Response()
    response.body = body
    if status is not None:
        response.status = status
    return response


def _lines(head: bytes) -> list[bytes]:
    return [line for line in head.split(b"\r\n") if line and not line.startswith(b"Date: ")]


def test_the_same_response_twice_gets_the_same_head() -> None:
    first = _http11.head(_response(), "")
    assert _http11.head(_response(), "") == first
    assert _lines(first) == [b"HTTP/1.1 200 OK", b"Content-Type: text/plain; charset=utf-8", b"Content-Length: 2"]


def test_each_difference_shows_in_the_head() -> None:
    base = _response()
    _http11.head(base, "")  # now the last head answered
    assert _lines(_http11.head(_response(status=201), ""))[0] == b"HTTP/1.1 201 Created"
    custom = _response()
    custom.message = "Fine"
    assert _lines(_http11.head(custom, ""))[0] == b"HTTP/1.1 200 Fine"
    assert _http11.head(_response(), _http11.CLOSE).endswith(b"Connection: close\r\n\r\n")
    assert b"Content-Length: 3\r\n" in _http11.head(_response("hey"), "")
    extra = _response()
    extra.set("X-A", "1")
    assert b"X-A: 1\r\n" in _http11.head(extra, "")
    fewer = _response()
    fewer.remove("Content-Type")
    assert b"Content-Type" not in _http11.head(fewer, "")
    assert _lines(_http11.head(_response(), "")) == _lines(_http11.head(base, ""))


def test_a_header_with_several_values_is_never_taken_from_the_cache() -> None:
    response = _response()
    response.append("Set-Cookie", "a=1")
    response.append("Set-Cookie", "b=2")
    first = _http11.head(response, "")
    assert first.count(b"Set-Cookie: ") == 2
    response.append("Set-Cookie", "c=3")  # the same entry, one more value
    assert _http11.head(response, "").count(b"Set-Cookie: ") == 3


def test_a_new_second_gets_a_new_date(monkeypatch: pytest.MonkeyPatch) -> None:
    head = _http11.head(_response(), "")
    assert b"Date: " in head
    monkeypatch.setattr(_http11, "time", SimpleNamespace(time=lambda: 86400.0 * 365, gmtime=time.gmtime))  # 1971-01-01
    _http11.refresh_date()
    try:
        assert b"Date: Fri, 01 Jan 1971 00:00:00 GMT\r\n" in _http11.head(_response(), "")
    finally:
        monkeypatch.undo()
        _http11.refresh_date()
    assert _http11.head(_response(), "") == head or b"1971" not in _http11.head(_response(), "")


@pytest.mark.parametrize("seconds", [0, 784111777, 951782400.5, 1_700_000_000, 4_102_444_799, 1_798_000_000])
def test_the_date_header_is_an_imf_fixdate(seconds: float) -> None:
    # written as email.utils writes it (the email package is not imported by the server for this)
    from email.utils import formatdate

    assert _http11.http_date(seconds) == formatdate(seconds, usegmt=True)
