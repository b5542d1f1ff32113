"""koa's server runs the middleware the way Koa.handle() does, without its coroutine (see _begin/_settle).

What app.handle() promises must hold on this path too: every error becomes a response and an
"error" event, koa.current_context() is the request's ctx wherever the request's code runs
(and nowhere else), and a Koa subclass with its own handle() is served through it.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import koa
from koa import Context, Koa
from koa.types import Next
from server._wire import exchange

from .conftest import Start

GET = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n"


def _get(*paths: str) -> bytes:
    return b"".join(GET % p.encode() for p in paths)


def _errors(app: Koa) -> list[BaseException]:
    seen: list[BaseException] = []
    app.on("error", lambda err, ctx: seen.append(err))
    return seen


async def test_a_first_middleware_that_fails_before_awaiting_is_a_500(start: Start) -> None:
    app = Koa(silent=True)
    errors = _errors(app)

    class Refuse:
        _koa_async_middleware = True  # called as is: it raises instead of returning an awaitable

        def __call__(self, ctx: Context, next: Next) -> Awaitable[Any]:  # noqa: A002
            if ctx.path == "/boom":
                raise ValueError("refused")
            return next()

    async def ok(ctx: Context, next: Next) -> None:  # noqa: A002
        ctx.body = "ok"

    app.use(Refuse()).use(ok)
    server = await start(app)
    reply = await exchange(server.port, _get("/boom", "/"), responses=2)
    assert [(r.status, r.body) for r in reply.responses] == [(500, b"Internal Server Error"), (200, b"ok")]
    assert not reply.closed
    assert [str(e) for e in errors] == ["refused"]


async def test_errors_before_and_after_waiting_are_500s(start: Start) -> None:
    app = Koa(silent=True)
    errors = _errors(app)

    async def fail(ctx: Context, next: Next) -> None:  # noqa: A002
        if ctx.path == "/later":
            await asyncio.sleep(0.001)  # finished by the connection's task
        raise koa.errors.HttpError(418, "short and stout") if ctx.query.get("teapot") else RuntimeError(ctx.path)

    app.use(fail)
    server = await start(app)
    reply = await exchange(server.port, _get("/now", "/later", "/later?teapot=1"), responses=3)
    assert [r.status for r in reply.responses] == [500, 500, 418]
    assert [str(e) for e in errors[:2]] == ["/now", "/later"]


async def test_a_body_that_cannot_be_sent_is_a_500(start: Start) -> None:
    app = Koa(silent=True)
    errors = _errors(app)

    async def handler(ctx: Context, next: Next) -> None:  # noqa: A002
        ctx.body = {"not json": object()}

    app.use(handler)
    server = await start(app)
    reply = await exchange(server.port, _get("/", "/"), responses=2)
    assert [r.status for r in reply.responses] == [500, 500]
    assert len(errors) == 2 and all(isinstance(e, TypeError) for e in errors)


async def test_an_awaitable_that_is_not_a_coroutine(start: Start) -> None:
    app = Koa(silent=True)
    errors = _errors(app)

    class Answer:
        _koa_async_middleware = True

        def __call__(self, ctx: Context, next: Next) -> Any:  # noqa: A002
            if ctx.path == "/none":
                return None  # not awaitable: as `await None` fails, a 500
            ctx.body = ctx.path
            if ctx.path == "/future":
                future = asyncio.get_running_loop().create_future()
                asyncio.get_running_loop().call_soon(future.set_result, None)
                return future
            return next()  # koa's own awaitable (nothing left to run)

    app.use(Answer())
    server = await start(app)
    reply = await exchange(server.port, _get("/future", "/next", "/none"), responses=3)
    assert [(r.status, r.body) for r in reply.responses] == [
        (200, b"/future"), (200, b"/next"), (500, b"Internal Server Error")]
    assert [type(e) for e in errors] == [TypeError]


async def test_current_context_is_the_requests_own_wherever_its_code_runs(start: Start) -> None:
    app = Koa(silent=True)
    seen: dict[str, Any] = {}

    class First:
        _koa_async_middleware = True

        def __call__(self, ctx: Context, next: Next) -> Awaitable[Any]:  # noqa: A002
            seen.setdefault("called", []).append(koa.current_context() is ctx)  # before any await
            return next()

    async def handler(ctx: Context, next: Next) -> None:  # noqa: A002
        seen.setdefault("start", []).append(koa.current_context() is ctx)
        await asyncio.sleep(0.001)
        task = asyncio.create_task(_current_later())
        seen.setdefault("task", []).append(await task is ctx)
        if ctx.path == "/fail":
            raise RuntimeError("failed")
        ctx.body = "ok"

    app.on("error", lambda err, ctx: seen.setdefault("error", []).append(koa.current_context() is ctx))
    app.use(First()).use(handler)
    server = await start(app)
    reply = await exchange(server.port, _get("/", "/fail"), responses=2)
    assert [r.status for r in reply.responses] == [200, 500]
    assert seen == {"called": [True, True], "start": [True, True], "task": [True, True], "error": [True]}
    assert koa.current_context() is None


async def _current_later() -> Context | None:
    await asyncio.sleep(0)
    return koa.current_context()


async def test_a_subclass_with_its_own_handle_is_served_through_it(start: Start) -> None:
    calls: list[str] = []

    class Traced(Koa):
        async def handle(self, ctx: Context) -> Any:
            calls.append(ctx.path)
            return await super().handle(ctx)

    app = Traced()

    async def handler(ctx: Context, next: Next) -> None:  # noqa: A002
        ctx.body = "traced"

    app.use(handler)
    server = await start(app)
    reply = await exchange(server.port, _get("/a", "/b"), responses=2)
    assert [r.body for r in reply.responses] == [b"traced", b"traced"]
    assert calls == ["/a", "/b"]


async def test_the_requests_objects_are_the_apps_own_classes(start: Start) -> None:
    # made without their class calls (Hub.fast_new), they are still the app's prototypes' instances
    app = Koa()
    app.context.db = "the db"  # type: ignore[attr-defined]

    async def handler(ctx: Context, next: Next) -> None:  # noqa: A002
        assert isinstance(ctx, app.context) and isinstance(ctx.request, app.request)
        assert isinstance(ctx.response, app.response)
        assert ctx.request.ctx is ctx and ctx.response.ctx is ctx and ctx.request.response is ctx.response
        ctx.body = [ctx.db, ctx.status, ctx.path, ctx.querystring, ctx.state == {}]  # type: ignore[attr-defined]

    app.use(handler)
    server = await start(app)
    reply = await exchange(server.port, _get("/a?x=1"), responses=1)
    assert reply.responses[0].body == b'["the db",404,"/a","x=1",true]'


async def test_app_classes_with_their_own_constructors_are_called(start: Start) -> None:
    app = Koa()
    made: list[str] = []

    class Request(app.request):  # type: ignore[name-defined,misc]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            made.append("request")

    class Response(app.response):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            made.append("response")

    app.request = Request
    app.response = Response

    async def handler(ctx: Context, next: Next) -> None:  # noqa: A002
        ctx.body = type(ctx.request).__name__ + " " + type(ctx.response).__name__

    app.use(handler)
    server = await start(app)
    reply = await exchange(server.port, _get("/", "/"), responses=2)
    assert [r.body for r in reply.responses] == [b"Request Response"] * 2
    assert sorted(made) == ["request", "request", "response", "response"]


# -- ctx.req.send(): the raw response of `ctx.respond = False` -------------------------------
async def test_a_raw_response_with_its_length_is_not_chunked_and_the_connection_closes(start: Start) -> None:
    app = Koa(silent=True)

    async def raw(ctx: Context, next: Next) -> None:  # noqa: A002
        ctx.respond = False
        await ctx.req.send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-length", b"5"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]})
        await ctx.req.send({"type": "http.response.body", "body": b"hello"})

    app.use(raw)
    server = await start(app)
    reply = await exchange(server.port, _get("/", "/"), responses=2, timeout=1.0)
    assert len(reply.responses) == 1 and reply.closed  # the app wrote it: the connection ends with it
    response = reply.responses[0]
    assert (response.status, response.body, response.chunked) == (200, b"hello", False)
    assert response.header("Connection") == "close"
    assert [v for k, v in response.headers if k.lower() == "set-cookie"] == ["a=1", "b=2"]


async def test_a_raw_response_to_http10_is_close_delimited(start: Start) -> None:
    app = Koa(silent=True)

    async def raw(ctx: Context, next: Next) -> None:  # noqa: A002
        ctx.respond = False
        await ctx.req.send({"type": "http.response.start", "status": 202, "headers": []})
        await ctx.req.send({"type": "http.response.body", "body": b"part one, ", "more_body": True})
        await ctx.req.send({"type": "http.response.body", "body": b"part two"})

    app.use(raw)
    server = await start(app)
    reply = await exchange(server.port, b"GET / HTTP/1.0\r\n\r\n", timeout=1.0)
    assert reply.closed
    assert reply.raw.startswith(b"HTTP/1.1 202 Accepted\r\n") and b"Transfer-Encoding" not in reply.raw
    assert reply.raw.endswith(b"\r\n\r\npart one, part two")


async def test_send_refuses_what_does_not_fit(start: Start) -> None:
    app = Koa(silent=True)
    refused: list[str] = []
    kept: list[Context] = []

    async def raw(ctx: Context, next: Next) -> None:  # noqa: A002
        if ctx.path == "/late":
            try:
                await kept[0].req.send({"type": "http.response.body", "body": b"late"})
            except RuntimeError as err:
                refused.append(str(err))
            ctx.body = "ok"
            return
        kept.append(ctx)
        ctx.respond = False
        for message in ({"type": "http.response.body", "body": b"x"}, {"type": "websocket.send"}):
            try:
                await ctx.req.send(message)
            except (RuntimeError, ValueError) as err:
                refused.append(type(err).__name__)
        await ctx.req.send({"type": "http.response.start", "status": 204, "headers": []})
        try:
            await ctx.req.send({"type": "http.response.start", "status": 200, "headers": []})
        except RuntimeError as err:
            refused.append(str(err))

    app.use(raw)
    server = await start(app)
    first = await exchange(server.port, _get("/"), timeout=1.0)  # (until the server closes)
    assert first.responses[0].status == 204 and first.closed
    assert first.responses[0].header("Connection") == "close"
    second = await exchange(server.port, _get("/late"), responses=1)
    assert second.responses[0].body == b"ok"
    assert refused == ["RuntimeError", "ValueError", "the response has already started",
                       "the response is complete: nothing more can be sent"]
