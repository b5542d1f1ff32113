"""Koa's __tests__/application/respond.test.js (and response.test.js): how a ctx becomes a response."""
from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from koa import Context, Koa

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


def app_with(fn: Callable[[Context], Any]) -> Koa:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        fn(ctx)

    app.use(mw)
    return app


# -- ctx.respond = False ---------------------------------------------------------------
async def test_respond_false_lets_the_middleware_answer(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        ctx.body = "Hello"
        ctx.respond = False
        await ctx.req.send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"3")]})
        await ctx.req.send({"type": "http.response.body", "body": b"lol"})

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 200
    assert res.text == "lol"
    assert res.headers["content-type"] == "text/plain"


async def test_respond_false_ignores_later_headers_and_status(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        ctx.respond = False
        await ctx.req.send({"type": "http.response.start", "status": 200, "headers": []})
        await ctx.req.send({"type": "http.response.body", "body": b"lol"})
        ctx.set("foo", "bar")
        ctx.status = 201

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 200
    assert res.text == "lol"
    assert "foo" not in res.headers


async def test_respond_false_sends_nothing(asgi: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        ctx.body = "ignored"
        ctx.respond = False

    app.use(mw)
    assert (await asgi(app)).messages == []


# -- type None ---------------------------------------------------------------------------
async def test_type_none_sends_no_content_type(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = ""
        ctx.type = None

    res = await fetch(app_with(mw))
    assert res.status_code == 200
    assert "content-type" not in res.headers
    assert res.headers["content-length"] == "0"


# -- HEAD --------------------------------------------------------------------------------
async def test_head_sends_headers_without_the_body(asgi: Callable[..., Any]) -> None:
    res = await asgi(app_with(lambda ctx: setattr(ctx, "body", "Hello")), "HEAD")
    assert res.status == 200
    assert res.header("content-type") == "text/plain; charset=utf-8"
    assert res.header("content-length") == "5"
    assert res.body == b""


@pytest.mark.parametrize(
    ("body", "content_type", "length"),
    [
        ({"hello": "world"}, "application/json; charset=utf-8", "17"),
        ("hello world", "text/plain; charset=utf-8", "11"),
        (b"hello world", "application/octet-stream", "11"),
        (bytearray(b"hello world"), "application/octet-stream", "11"),
        (memoryview(b"hello world"), "application/octet-stream", "11"),
        ("<p>hello</p>", "text/html; charset=utf-8", "12"),
        ([1, 2, 3], "application/json; charset=utf-8", "7"),
    ],
)
async def test_head_keeps_the_headers_of_each_body(
    asgi: Callable[..., Any], body: Any, content_type: str, length: str
) -> None:
    res = await asgi(app_with(lambda ctx: setattr(ctx, "body", body)), "HEAD")
    assert res.status == 200
    assert res.header("content-type") == content_type
    assert res.header("content-length") == length
    assert res.body == b""


async def test_head_keeps_file_length(asgi: Callable[..., Any]) -> None:
    size = PYPROJECT.stat().st_size
    opened: list[io.BufferedReader] = []

    def mw(ctx: Context) -> None:
        f = open(PYPROJECT, "rb")  # noqa: SIM115 - koa closes it
        opened.append(f)
        ctx.body = f

    res = await asgi(app_with(mw), "HEAD")
    assert res.status == 200
    assert res.header("content-length") == str(size)
    assert res.body == b""
    assert opened[0].closed


async def test_head_keeps_manual_length_of_a_stream(asgi: Callable[..., Any], make_agen: Any) -> None:
    def mw(ctx: Context) -> None:
        ctx.length = 10
        ctx.body = make_agen(b"0123456789")

    res = await asgi(app_with(mw), "HEAD")
    assert res.header("content-length") == "10"
    assert res.body == b""


async def test_head_without_body_is_404(asgi: Callable[..., Any]) -> None:
    res = await asgi(app_with(lambda ctx: None), "HEAD")
    assert res.status == 404
    assert res.body == b""


async def test_head_with_empty_string_body_is_200(asgi: Callable[..., Any]) -> None:
    res = await asgi(app_with(lambda ctx: setattr(ctx, "body", "")), "HEAD")
    assert res.status == 200
    assert res.body == b""


async def test_head_does_not_overwrite_the_content_type(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = 200
        ctx.type = "application/javascript"

    res = await asgi(app_with(mw), "HEAD")
    assert res.status == 200
    assert (res.header("content-type") or "").startswith("application/javascript")
    assert res.body == b""


# -- no middleware / body missing -------------------------------------------------------
async def test_no_middleware_is_404(fetch: Callable[..., Any]) -> None:
    res = await fetch(Koa())
    assert res.status_code == 404
    assert res.text == "Not Found"
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["content-length"] == "9"


async def test_status_400_without_body_answers_the_message(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "status", 400)))
    assert res.status_code == 400
    assert res.headers["content-length"] == "11"
    assert res.text == "Bad Request"


@pytest.mark.parametrize("status", [204, 205, 304])
async def test_empty_statuses_have_no_body(asgi: Callable[..., Any], status: int) -> None:
    res = await asgi(app_with(lambda ctx: setattr(ctx, "status", status)))
    assert res.status == status
    assert res.body == b""
    assert res.header("content-type") is None
    assert res.header("content-length") is None


async def test_custom_status_without_phrase_answers_the_code(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "status", 701)))
    assert res.status_code == 701
    assert res.text == "701"


@pytest.mark.parametrize("status", [700, 799, 999])
async def test_any_unknown_status_up_to_999_answers_its_code(fetch: Callable[..., Any], status: int) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "status", status)))
    assert res.status_code == status
    assert res.text == str(status)


async def test_custom_message_is_the_body(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = 200
        ctx.message = "ok"

    res = await fetch(app_with(mw))
    assert res.status_code == 200
    assert res.text == "ok"


async def test_custom_message_for_a_custom_status(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = 700
        ctx.message = "custom status"

    res = await fetch(app_with(mw))
    assert res.status_code == 700
    assert res.text == "custom status"


async def test_http2_status_body_is_the_code(asgi: Callable[..., Any]) -> None:
    res = await asgi(app_with(lambda ctx: setattr(ctx, "status", 404)), http_version="2")
    assert res.status == 404
    assert res.body == b"404"


# -- body None ---------------------------------------------------------------------------
async def test_null_body_is_204(asgi: Callable[..., Any]) -> None:
    res = await asgi(app_with(lambda ctx: setattr(ctx, "body", None)))
    assert res.status == 204
    assert res.body == b""
    assert res.header("content-type") is None


async def test_null_body_after_status_200_is_204(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = 200
        ctx.body = None

    res = await asgi(app_with(mw))
    assert res.status == 204
    assert res.body == b""
    assert res.header("content-type") is None


@pytest.mark.parametrize("status", [205, 304])
async def test_null_body_keeps_an_empty_status(asgi: Callable[..., Any], status: int) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = status
        ctx.body = None

    res = await asgi(app_with(mw))
    assert res.status == status
    assert res.body == b""
    assert res.header("content-type") is None


def test_explicit_null_body_flag(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.body = None
    assert ctx.response._explicit_null_body is True
    ctx2 = make_ctx()
    ctx2.body = ""
    assert ctx2.response._explicit_null_body is False
    ctx2.body = b""
    assert ctx2.response._explicit_null_body is False


async def test_explicit_null_then_status_keeps_the_status(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = None
        ctx.status = 404

    res = await asgi(app_with(mw))
    assert res.status == 404
    assert res.body == b""
    assert res.header("content-length") == "0"


async def test_explicit_null_then_status_has_the_right_headers(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = None
        ctx.status = 401

    res = await asgi(app_with(mw))
    assert res.status == 401
    assert res.body == b""
    assert res.header("transfer-encoding") is None
    assert res.header("content-type") is None
    assert res.header("content-length") == "0"


async def test_explicit_null_does_not_keep_a_manual_length(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = None
        ctx.length = 10
        ctx.status = 404

    res = await asgi(app_with(mw))
    assert res.status == 404
    assert res.header("content-length") == "0"


async def test_json_type_then_null_body_sends_null(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.type = "json"
        ctx.body = None

    res = await fetch(app_with(mw))
    assert res.status_code == 200
    assert res.text == "null"
    assert res.headers["content-type"] == "application/json; charset=utf-8"
    assert res.headers["content-length"] == "4"
    assert res.json() is None


# -- body types --------------------------------------------------------------------------
async def test_string_body(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", "Hello")))
    assert res.status_code == 200
    assert res.text == "Hello"
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["content-length"] == "5"


async def test_non_ascii_string_body_length_is_in_bytes(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", "héllo wörld €")))
    assert res.text == "héllo wörld €"
    assert res.headers["content-length"] == str(len("héllo wörld €".encode()))


async def test_html_string_body(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", "  <h1>Hi</h1>")))
    assert res.headers["content-type"] == "text/html; charset=utf-8"
    assert res.text == "  <h1>Hi</h1>"


@pytest.mark.parametrize("body", [b"Hello", bytearray(b"Hello"), memoryview(b"Hello")])
async def test_binary_bodies(fetch: Callable[..., Any], body: Any) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", body)))
    assert res.status_code == 200
    assert res.content == b"Hello"
    assert res.headers["content-type"] == "application/octet-stream"
    assert res.headers["content-length"] == "5"


async def test_memoryview_of_non_bytes_uses_its_byte_size(fetch: Callable[..., Any]) -> None:
    import array

    view = memoryview(array.array("i", [1, 2, 3]))
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", view)))
    assert res.headers["content-length"] == str(view.nbytes)
    assert res.content == view.tobytes()


async def test_dict_body_is_json(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", {"hello": "world"})))
    assert res.headers["content-type"] == "application/json; charset=utf-8"
    assert res.text == '{"hello":"world"}'
    assert res.headers["content-length"] == "17"


async def test_list_body_is_json(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", [1, "two", None, True, 2.5])))
    assert res.headers["content-type"] == "application/json; charset=utf-8"
    assert res.json() == [1, "two", None, True, 2.5]


async def test_json_keeps_a_json_flavoured_type(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.type = "application/vnd.api+json"
        ctx.body = {"data": []}

    res = await fetch(app_with(mw))
    assert res.headers["content-type"] == "application/vnd.api+json; charset=utf-8"
    assert res.json() == {"data": []}


async def test_json_non_ascii_is_utf8(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", {"name": "Zoë €"})))
    assert res.content == '{"name":"Zoë €"}'.encode()
    assert res.headers["content-length"] == str(len('{"name":"Zoë €"}'.encode()))


async def test_async_generator_of_bytes_is_streamed(asgi: Callable[..., Any], make_agen: Any) -> None:
    res = await asgi(app_with(lambda ctx: setattr(ctx, "body", make_agen(b"Hello ", b"World"))))
    assert res.status == 200
    assert res.body == b"Hello World"
    assert res.header("content-type") == "application/octet-stream"
    assert res.header("content-length") is None
    chunks = [m["body"] for m in res.messages if m["type"] == "http.response.body" and m["body"]]
    assert chunks == [b"Hello ", b"World"]
    assert res.messages[-1] == {"type": "http.response.body", "body": b""}


async def test_async_generator_of_str_is_encoded(fetch: Callable[..., Any], make_agen: Any) -> None:
    def mw(ctx: Context) -> None:
        ctx.type = "text"
        ctx.body = make_agen("héllo ", "wörld")

    res = await fetch(app_with(mw))
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.text == "héllo wörld"


async def test_async_iterable_object_is_streamed(fetch: Callable[..., Any]) -> None:
    class Numbers:
        def __aiter__(self) -> AsyncIterator[bytes]:
            return self.gen()

        async def gen(self) -> AsyncIterator[bytes]:
            for i in range(3):
                yield str(i).encode()

    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", Numbers())))
    assert res.content == b"012"


async def test_stream_with_length_keeps_it(asgi: Callable[..., Any], make_agen: Any) -> None:
    def mw(ctx: Context) -> None:
        ctx.length = 5
        ctx.body = make_agen(b"He", b"llo")

    res = await asgi(app_with(mw))
    assert res.header("content-length") == "5"
    assert res.body == b"Hello"


async def test_stream_replacing_a_string_drops_its_length(asgi: Callable[..., Any], make_agen: Any) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = "hello"
        ctx.body = make_agen(b"streamed")

    res = await asgi(app_with(mw))
    assert res.header("content-length") is None
    assert res.body == b"streamed"


async def test_same_stream_set_twice_keeps_the_length(asgi: Callable[..., Any], make_agen: Any) -> None:
    def mw(ctx: Context) -> None:
        ctx.length = 8
        stream = make_agen(b"streamed")
        ctx.body = stream
        ctx.body = stream

    res = await asgi(app_with(mw))
    assert res.header("content-length") == "8"
    assert res.body == b"streamed"


async def test_open_binary_file_body(fetch: Callable[..., Any]) -> None:
    files: list[io.BufferedReader] = []

    def mw(ctx: Context) -> None:
        files.append(open(PYPROJECT, "rb"))  # noqa: SIM115 - koa closes it
        ctx.body = files[0]

    res = await fetch(app_with(mw))
    assert res.status_code == 200
    assert res.content == PYPROJECT.read_bytes()
    assert res.headers["content-length"] == str(PYPROJECT.stat().st_size)
    assert res.headers["content-type"] == "application/toml"
    assert files[0].closed


async def test_open_file_partly_read_sends_the_rest(fetch: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"0123456789")

    def mw(ctx: Context) -> None:
        f = open(target, "rb")  # noqa: SIM115 - koa closes it
        f.read(4)
        ctx.body = f

    res = await fetch(app_with(mw))
    assert res.content == b"456789"
    assert res.headers["content-length"] == "6"
    assert res.headers["content-type"] == "application/octet-stream"


async def test_path_body(fetch: Callable[..., Any], tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("<h1>from disk</h1>")
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", page)))
    assert res.status_code == 200
    assert res.text == "<h1>from disk</h1>"
    assert res.headers["content-type"] == "text/html; charset=utf-8"
    assert res.headers["content-length"] == str(page.stat().st_size)


async def test_large_path_body_is_sent_whole(fetch: Callable[..., Any], tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    data = bytes(range(256)) * 1024 + b"tail"
    big.write_bytes(data)
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", big)))
    assert res.content == data
    assert res.headers["content-length"] == str(len(data))


async def test_file_body_with_explicit_type(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = PYPROJECT
        ctx.set("Content-Type", "application/json; charset=utf-8")

    res = await fetch(app_with(mw))
    assert res.headers["content-type"] == "application/json; charset=utf-8"
    assert res.content == PYPROJECT.read_bytes()


async def test_missing_path_with_204_is_fine(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = 204
        ctx.body = Path("does not exist")

    res = await asgi(app_with(mw))
    assert res.status == 204
    assert res.body == b""


async def test_missing_path_body_is_a_500_before_headers(fetch: Callable[..., Any]) -> None:
    app = app_with(lambda ctx: setattr(ctx, "body", Path("/no/such/file.txt")))
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))
    res = await fetch(app)
    assert res.status_code == 500
    assert res.text == "Internal Server Error"
    assert isinstance(errors[0], FileNotFoundError)


# -- stream errors -----------------------------------------------------------------------
async def test_stream_error_is_emitted(fetch: Callable[..., Any]) -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"data"
        raise RuntimeError("stream error")

    app = app_with(lambda ctx: setattr(ctx, "body", failing()))
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))
    res = await fetch(app)
    assert res.status_code == 200  # the head was out before the stream failed
    assert [str(e) for e in errors] == ["stream error"]
    assert getattr(errors[0], "header_sent", False) is True


async def test_stream_error_without_listener_is_reported(
    fetch: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"data"
        raise RuntimeError("stream error")

    await fetch(app_with(lambda ctx: setattr(ctx, "body", failing())))
    assert "RuntimeError: stream error" in capsys.readouterr().err


async def test_stream_is_closed_after_sending(fetch: Callable[..., Any]) -> None:
    state: list[str] = []

    async def gen() -> AsyncIterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        finally:
            state.append("closed")

    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", gen())))
    assert res.content == b"ab"
    assert state == ["closed"]


# -- headers flushed ---------------------------------------------------------------------
async def test_json_body_after_flush_headers(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.length = 17
        ctx.type = "json"
        ctx.set("foo", "bar")
        ctx.flush_headers()
        ctx.body = {"hello": "world"}

    res = await fetch(app_with(mw))
    assert res.headers["content-type"] == "application/json; charset=utf-8"
    assert res.headers["content-length"] == "17"
    assert res.headers["foo"] == "bar"
    assert res.text == '{"hello":"world"}'


# -- errors ------------------------------------------------------------------------------
async def test_error_is_emitted_on_the_app(fetch: Callable[..., Any]) -> None:
    app = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("test error")

    app.use(boom)
    assert (await fetch(app)).status_code == 500
    assert [str(e) for e in errors] == ["test error"]


async def test_exposed_error_message(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def boom(ctx: Context, next: Any) -> None:
        err = RuntimeError("sorry!")
        err.status = 403  # type: ignore[attr-defined]
        err.expose = True  # type: ignore[attr-defined]
        raise err

    app.use(boom)
    res = await fetch(app)
    assert res.status_code == 403
    assert res.text == "sorry!"


async def test_error_status_without_expose(fetch: Callable[..., Any]) -> None:
    app = Koa(silent=True)

    async def boom(ctx: Context, next: Any) -> None:
        err = RuntimeError("s3 explodes")
        err.status = 403  # type: ignore[attr-defined]
        raise err

    app.use(boom)
    res = await fetch(app)
    assert res.status_code == 403
    assert res.text == "Forbidden"


async def test_plain_error_is_500(fetch: Callable[..., Any]) -> None:
    app = Koa(silent=True)

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("boom!")

    app.use(boom)
    res = await fetch(app)
    assert res.status_code == 500
    assert res.text == "Internal Server Error"


async def test_errors_are_catchable(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def catcher(ctx: Context, next: Any) -> None:
        try:
            await next()
            ctx.body = "Hello"
        except RuntimeError:
            ctx.body = "Got error"

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("boom!")

    app.use(catcher).use(boom)
    res = await fetch(app)
    assert res.status_code == 200
    assert res.text == "Got error"


# -- status and body together ------------------------------------------------------------
async def test_status_304_then_body_then_200(fetch: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = 304
        ctx.body = "hello"
        ctx.status = 200

    res = await fetch(app_with(mw))
    assert res.status_code == 200
    assert res.text == "hello"


async def test_body_then_status_204_strips_it(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = 200
        ctx.body = "hello"
        ctx.set("content-type", "text/plain; charset=utf8")
        ctx.status = 204

    res = await asgi(app_with(mw))
    assert res.status == 204
    assert res.header("content-type") is None
    assert res.body == b""


@pytest.mark.parametrize("status", [204, 205, 304])
async def test_empty_status_strips_content_headers(asgi: Callable[..., Any], status: int) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = {"foo": "bar"}
        ctx.set("Content-Type", "application/json; charset=utf-8")
        ctx.set("Content-Length", "15")
        ctx.set("Transfer-Encoding", "chunked")
        ctx.status = status
        assert ctx.response.get("content-type") is None
        assert ctx.response.get("content-length") is None
        assert ctx.response.get("transfer-encoding") is None

    res = await asgi(app_with(mw))
    assert res.status == status
    assert res.header("content-type") is None
    assert res.header("content-length") is None
    assert res.header("transfer-encoding") is None
    assert res.body == b""


@pytest.mark.parametrize("status", [204, 205, 304])
async def test_empty_status_strips_headers_set_after_it(asgi: Callable[..., Any], status: int) -> None:
    def mw(ctx: Context) -> None:
        ctx.status = status
        ctx.body = {"foo": "bar"}
        ctx.set("Content-Type", "application/json; charset=utf-8")
        ctx.set("Content-Length", "15")
        ctx.set("Transfer-Encoding", "chunked")

    res = await asgi(app_with(mw))
    assert res.status == status
    assert res.header("content-type") is None
    assert res.header("content-length") is None
    assert res.header("transfer-encoding") is None
    assert res.body == b""


# -- Content-Length and Transfer-Encoding -------------------------------------------------
async def test_content_length_added_for_known_bodies(fetch: Callable[..., Any]) -> None:
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", "hello world")))
    assert res.headers["content-length"] == "11"


async def test_no_content_length_when_transfer_encoding_is_set(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.set("Transfer-Encoding", "chunked")
        ctx.body = "hello world"
        assert ctx.response.get("Content-Length") is None

    res = await asgi(app_with(mw))
    assert res.status == 200
    assert res.header("transfer-encoding") == "chunked"
    assert res.header("content-length") is None
    assert res.body == b"hello world"


async def test_wrong_manual_length_is_corrected(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.body = "hello"
        ctx.length = 99

    res = await asgi(app_with(mw))
    assert res.header("content-length") == "5"
    assert res.body == b"hello"


async def test_response_headers_are_lower_case_once_each(asgi: Callable[..., Any]) -> None:
    def mw(ctx: Context) -> None:
        ctx.set("X-Custom", "1")
        ctx.append("Set-Cookie", ["a=1", "b=2"])
        ctx.body = "x"

    res = await asgi(app_with(mw))
    assert res.header_names.count("x-custom") == 1
    assert res.header_all("set-cookie") == ["a=1", "b=2"]
    assert all(name == name.lower() for name in res.header_names)


async def test_json_encodes_once_and_matches_length(fetch: Callable[..., Any]) -> None:
    data = {"list": list(range(50)), "nested": {"a": [1, {"b": "c"}]}}
    res = await fetch(app_with(lambda ctx: setattr(ctx, "body", data)))
    assert json.loads(res.content) == data
    assert res.headers["content-length"] == str(len(res.content))
