"""Context: one per request; throw(), assert_(), cookies, then the delegation table (Koa's lib/context.js)."""
from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from koa._status import MESSAGES
from koa.cookies import Cookies
from koa.errors import HttpError, create_error

if TYPE_CHECKING:
    from koa.application import Koa
    from koa.request import Request
    from koa.response import Response


class State(dict[str, Any]):
    """ctx.state: a dict that also allows attribute access."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


def _delegate(target: str, name: str, *, writable: bool = False) -> property:
    """A property on Context forwarding to `ctx.<target>.<name>` (Koa's `delegates`)."""
    getter = attrgetter(f"{target}.{name}")  # C-level chained getattr
    if not writable:
        return property(getter, doc=f"Delegates to ctx.{target}.{name}.")
    target_get = attrgetter(target)

    def setter(self: Context, value: Any) -> None:
        setattr(target_get(self), name, value)

    return property(getter, setter, doc=f"Delegates to ctx.{target}.{name}.")


def _method(target: str, name: str) -> Any:
    target_get = attrgetter(target)

    def method(self: Context, *args: Any, **kwargs: Any) -> Any:
        return getattr(target_get(self), name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Delegates to ctx.{target}.{name}()."
    return method


_METHOD = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _set_method(ctx: Context, value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"method must be a str, got {type(value).__name__}")
    if not _METHOD.match(value):
        raise ValueError(f"invalid method: {value!r}")
    ctx.request.method = value


class Context:
    """Koa's ctx: the request, the response and per-request state, in one object."""

    __slots__ = (
        "app", "request", "response", "respond", "params", "route_path", "route_name",
        "router", "_state", "_cookies", "__dict__", "__weakref__",
    )

    def __init__(self, app: Koa, request: Request, response: Response) -> None:
        self._init(app, request, response)

    def _init(self, app: Koa, request: Request, response: Response) -> None:
        # (what __init__ does: koa's server calls it on an instance it made without the class call)
        self.app = app
        self.request = request
        self.response = response
        # through self.: the typed slots when compiled (see context.pxd)
        self.request.app = self.response.app = app
        self.request.ctx = self.response.ctx = self
        self.request.response = response
        self.response.request = request
        self.respond = True
        self.params: dict[str, str] = {}
        self.route_path: str | None = None
        self.route_name: str | None = None
        self.router: Any = None
        self._state: State | None = None
        self._cookies: Cookies | None = None

    @property
    def state(self) -> State:
        """Per-request namespace for middleware to share data (Koa's ctx.state)."""
        state = self._state
        if state is None:
            state = self._state = State()
        return state

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        self._state = value if isinstance(value, State) else State(value)

    @property
    def cookies(self) -> Cookies:
        """Cookie jar signed with app.keys (Koa's ctx.cookies)."""
        cookies = self._cookies
        if cookies is None:
            cookies = self._cookies = Cookies(self, self.app.keys)
        return cookies

    @cookies.setter
    def cookies(self, value: Any) -> None:
        # koa: ctx.cookies = replacement (another jar implementation)
        self._cookies = value

    @property
    def req(self) -> Any:
        """The transport's channel for this request (Koa's ctx.req stands for Node's request)."""
        return self.request.channel

    def throw(self, *args: Any, **properties: Any) -> None:
        """Koa's ctx.throw(): raise an HttpError (`throw(404)`, `throw(400, "msg")`, `throw(err)`)."""
        raise make_error(*args, **properties)

    def assert_(self, value: Any, *args: Any, **properties: Any) -> None:
        """Koa's ctx.assert(): throw when `value` is falsy."""
        if not value:
            raise make_error(*args, **properties)

    def onerror(self, err: BaseException) -> None:
        """Koa's ctx.onerror(): report `err` and turn it into the response."""
        response = self.response
        header_sent = response.header_sent or not response.writable
        if header_sent:
            _set(err, "header_sent", True)
        self.app.emit("error", err, self)
        if header_sent:
            return
        response._clear_headers()
        headers = getattr(err, "headers", None)
        if isinstance(headers, Mapping):
            try:
                response.set(headers)
            except (TypeError, ValueError):
                response._clear_headers()
        status = getattr(err, "status", None)
        if status is None:
            status = getattr(err, "status_code", None)
        if isinstance(status, bool) or not isinstance(status, int) or status not in MESSAGES:
            status = 500
        expose = getattr(err, "expose", False) is True
        if expose:
            msg = err.message if isinstance(err, HttpError) else str(err)
            msg = msg or MESSAGES[status]
        else:
            msg = MESSAGES[status]
        _set(err, "status", status)
        response._body = None
        response._explicit_null_body = False
        response.header_sent = False
        response._message = None
        response._status = status
        response._explicit_status = True
        response.body = msg
        response.type = "text"

    def inspect(self) -> dict[str, Any]:
        """Koa's ctx.inspect(): the same as to_json()."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        """Koa's ctx.toJSON(): request, response, app and original_url."""
        return {
            "request": self.request.to_json(),
            "response": self.response.to_json(),
            "app": self.app.to_json(),
            "original_url": self.request.original_url,
            "req": "<original req>",
            "res": "<original res>",
            "socket": "<original socket>",
        }

    def __repr__(self) -> str:
        return f"<Context {self.request.method} {self.request.url}>"

    # -- delegation to the request --------------------------------------------------
    headers = _delegate("request", "headers", writable=True)
    header = _delegate("request", "headers", writable=True)

    # perf: the delegates of every request are written out (C properties when compiled)
    @property
    def method(self) -> str:
        """Delegates to ctx.request.method."""
        return self.request.method

    @method.setter
    def method(self, value: str) -> None:
        _set_method(self, value)

    @property
    def path(self) -> str:
        """Delegates to ctx.request.path."""
        return self.request.path

    @path.setter
    def path(self, value: str) -> None:
        self.request.path = value

    url = _delegate("request", "url", writable=True)
    original_url = _delegate("request", "original_url")
    origin = _delegate("request", "origin")
    href = _delegate("request", "href")
    query = _delegate("request", "query", writable=True)
    querystring = _delegate("request", "querystring", writable=True)
    search = _delegate("request", "search", writable=True)
    host = _delegate("request", "host")
    hostname = _delegate("request", "hostname")
    fresh = _delegate("request", "fresh")
    stale = _delegate("request", "stale")
    socket = _delegate("request", "socket")
    protocol = _delegate("request", "protocol")
    secure = _delegate("request", "secure")
    ip = _delegate("request", "ip", writable=True)
    ips = _delegate("request", "ips")
    subdomains = _delegate("request", "subdomains")
    idempotent = _delegate("request", "idempotent")
    accepts = _method("request", "accepts")
    accepts_encodings = _method("request", "accepts_encodings")
    accepts_charsets = _method("request", "accepts_charsets")
    accepts_languages = _method("request", "accepts_languages")
    is_ = _method("request", "is_")
    get = _method("request", "get")

    # -- delegation to the response ---------------------------------------------------
    @property
    def body(self) -> Any:
        """Delegates to ctx.response.body."""
        return self.response.body

    @body.setter
    def body(self, value: Any) -> None:
        self.response.body = value

    @property
    def status(self) -> int:
        """Delegates to ctx.response.status."""
        return self.response.status

    @status.setter
    def status(self, value: int) -> None:
        self.response.status = value

    message = _delegate("response", "message", writable=True)
    length = _delegate("response", "length", writable=True)
    type = _delegate("response", "type", writable=True)
    last_modified = _delegate("response", "last_modified", writable=True)
    etag = _delegate("response", "etag", writable=True)
    header_sent = _delegate("response", "header_sent")
    writable = _delegate("response", "writable")
    attachment = _method("response", "attachment")
    redirect = _method("response", "redirect")
    back = _method("response", "back")
    remove = _method("response", "remove")
    vary = _method("response", "vary")
    has = _method("response", "has")
    set = _method("response", "set")
    append = _method("response", "append")
    flush_headers = _method("response", "flush_headers")


# -- releasing a finished request -----------------------------------------------------
# ctx, ctx.request and ctx.response point at one another: left alone, every request is
# garbage for the cycle collector, whose passes cost ~10% of a small request. When nothing
# but koa holds them once the response is out, the transport unlinks them and they are
# freed at once. Reference counts tell; what "nothing else" reads as is measured once, by
# _calibrate() calling release() the way the transport does: keep release() a plain `def`
# called through Python (a cpdef in context.pxd would give the two calls different counts;
# tests/server/test_release.py catches that, and a kept ctx staying whole).
try:
    import cython  # type: ignore[import-untyped]
except ImportError:  # the pure twin, Cython not installed
    from koa._speedups import _shadow as cython
if not cython.compiled:  # compiled, context.pxd has getrefcount read the counts in C (Py_REFCNT)
    from sys import getrefcount
_UNHELD: tuple[int, int, int] | None = None


def release(ctx: Context, _probe: bool = False) -> Any:
    """Unlink a finished request's ctx, request and response when only the caller holds `ctx`
    (in one local variable) and nothing else holds any of the three. True when unlinked."""
    return _unlink(ctx, _probe)


def _unlink(ctx: Context, probe: bool) -> Any:
    # (compiled, a cdef function typed in context.pxd: the counts are compared and the links cut in C)
    request = ctx.request
    response = ctx.response
    if probe:
        return getrefcount(ctx), getrefcount(request), getrefcount(response)
    unheld = _UNHELD or _calibrate()
    held_ctx, held_request, held_response = unheld
    if getrefcount(ctx) != held_ctx or getrefcount(request) != held_request or getrefcount(response) != held_response:
        return False  # kept by the app (a task, a closure, a cookie jar...): the collector's job
    request.ctx = response.ctx = None  # type: ignore[assignment]
    request.response = None  # type: ignore[assignment]
    response.request = None  # type: ignore[assignment]
    return True


def _calibrate() -> tuple[int, int, int]:
    global _UNHELD
    from koa.request import Request
    from koa.response import Response

    ctx = Context(None, Request("GET", "/", []), Response())  # type: ignore[arg-type]  # held by this local only
    _UNHELD = release(ctx, True)  # as the transport calls it
    return _UNHELD


def _set(err: BaseException, name: str, value: Any) -> None:
    try:
        setattr(err, name, value)
    except (AttributeError, TypeError):
        pass  # some exception types refuse new attributes


def make_error(*args: Any, **properties: Any) -> BaseException:
    """http-errors' createError() as ctx.throw() takes it: arguments in any order."""
    # the documented keywords: ctx.throw(status=404, message="...")
    status: int | None = properties.pop("status", None)
    message: str | None = properties.pop("message", None)
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise TypeError(f"ctx.throw() status must be an int, got {status!r}")
    if message is not None and not isinstance(message, str):
        raise TypeError(f"ctx.throw() message must be a str, got {message!r}")
    err: BaseException | None = None
    extra: dict[str, Any] = {}
    for arg in args:
        if isinstance(arg, BaseException):
            err = arg
        elif isinstance(arg, bool):
            raise TypeError(f"ctx.throw() got an unexpected argument {arg!r}")
        elif isinstance(arg, int):
            status = arg
        elif isinstance(arg, str):
            message = arg
        elif isinstance(arg, Mapping):
            extra.update(arg)
        else:
            raise TypeError(f"ctx.throw() got an unexpected argument {arg!r}")
    if extra:
        # http-errors: a properties object never overrides the status
        extra.pop("status", None)
        extra.pop("status_code", None)
        properties = {**extra, **properties}
    if err is not None:
        if getattr(err, "status", None) is None:
            _set(err, "status", status or 500)
        if getattr(err, "expose", None) is None:
            err_status = getattr(err, "status", 500)
            # http-errors: an invalid status counts as 500, which is not exposed
            valid = isinstance(err_status, int) and not isinstance(err_status, bool) and err_status in MESSAGES
            _set(err, "expose", valid and err_status < 500)
        for key, value in properties.items():
            _set(err, key, value)
        return err
    return create_error(status if status is not None else 500, message, **properties)


def format_error(err: BaseException) -> str:
    """The traceback of `err`, indented as Koa's app.onerror prints it."""
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__)).rstrip()
    return "\n" + "\n".join("  " + line for line in text.splitlines()) + "\n"


def print_error(err: BaseException) -> None:
    """Write `err` to stderr the way Koa's default error reporter does."""
    print(format_error(err), file=sys.stderr)
