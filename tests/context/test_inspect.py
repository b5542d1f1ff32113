"""Koa's __tests__/context/inspect.test.js and toJSON.test.js."""
from __future__ import annotations

import json
from collections.abc import Callable

from koa import Context, Koa


def test_to_json(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/items", "POST", {"Content-Type": "text/plain"}, app=Koa(env="test"))
    ctx.status = 200
    ctx.body = "<p>Hey</p>"
    obj = json.loads(json.dumps(ctx.to_json()))
    assert obj["request"] == {"method": "POST", "url": "/items", "header": {"content-type": "text/plain"}}
    assert obj["response"] == {
        "status": 200,
        "message": "OK",
        "header": {"content-type": "text/html; charset=utf-8", "content-length": "10"},
    }
    assert obj["app"] == {"subdomain_offset": 2, "proxy": False, "env": "test"}
    assert obj["original_url"] == "/items"


def test_inspect_is_to_json(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/x")
    assert ctx.inspect() == ctx.to_json()


def test_repr(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/x?y=1", "PUT")
    assert repr(ctx) == "<Context PUT /x?y=1>"
    assert repr(ctx.request) == "<Request PUT /x?y=1>"
    ctx.status = 201
    assert repr(ctx.response) == "<Response 201 Created>"


def test_request_to_json_after_url_change(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/a", headers={"Host": "example.com"})
    ctx.url = "/b?c=d"
    assert ctx.request.to_json() == {"method": "GET", "url": "/b?c=d", "header": {"host": "example.com"}}


def test_response_to_json(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.body = "hello"
    assert ctx.response.to_json() == {
        "status": 200,
        "message": "OK",
        "header": {"content-type": "text/plain; charset=utf-8", "content-length": "5"},
    }
