"""Sessions, like koa-session: a signed cookie by default, or any external store.

The default cookie (`koa.sess`, base64 JSON signed with app.keys as `koa.sess.sig`) is
the one koa-session writes, so both can read each other's sessions. Inside the JSON,
`_expire` and `_maxAge` stay in milliseconds, as koa-session has them; every duration
given to or by this module is in seconds.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from koa.context import Context
from koa.response import encode_json
from koa.types import Middleware, Next

if TYPE_CHECKING:
    from koa.application import Koa

ONE_DAY = 24 * 60 * 60
MaxAge = float | Literal["session"]


class SessionStore(Protocol):
    """koa-session's external store; each method may be sync or async, `max_age` in seconds."""

    def get(self, key: str, max_age: MaxAge | None, *, rolling: bool, ctx: Context) -> Any:
        """The session data stored under `key`, or None."""

    def set(self, key: str, data: dict[str, Any], max_age: MaxAge | None, *, rolling: bool,
            changed: bool, ctx: Context) -> Any:
        """Store `data` under `key` for `max_age` seconds."""

    def destroy(self, key: str, *, ctx: Context) -> Any:
        """Forget `key`."""


class ExternalKey(Protocol):
    """Where the session id of an external store travels (a cookie by default)."""

    def get(self, ctx: Context) -> str | None:
        """The session id sent by the client."""

    def set(self, ctx: Context, value: str) -> Any:
        """Send the session id to the client."""


class MemoryStore:
    """An in-process SessionStore (for tests and single-process apps): entries expire with max_age."""

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[dict[str, Any], float | None]] = {}

    def get(self, key: str, max_age: MaxAge | None, *, rolling: bool, ctx: Context) -> dict[str, Any] | None:
        """The data under `key` unless it has expired."""
        entry = self.sessions.get(key)
        if entry is None:
            return None
        data, expires = entry
        if expires is not None and expires < time.time():
            del self.sessions[key]
            return None
        copy: dict[str, Any] = json.loads(json.dumps(data))  # a copy, as a real store would give
        return copy

    def set(self, key: str, data: dict[str, Any], max_age: MaxAge | None, *, rolling: bool,
            changed: bool, ctx: Context) -> None:
        """Keep `data` for `max_age` seconds (until the process ends for "session")."""
        expires = time.time() + max_age if isinstance(max_age, (int, float)) else None
        self.sessions[key] = (json.loads(json.dumps(data)), expires)

    def destroy(self, key: str, *, ctx: Context) -> None:
        """Forget `key`."""
        self.sessions.pop(key, None)


def encode(data: dict[str, Any]) -> str:
    """koa-session's cookie value: base64 of the JSON."""
    return base64.b64encode(encode_json(data)).decode("ascii")


def decode(value: str) -> dict[str, Any]:
    """The data of a cookie value made by encode() (ValueError when it is not one)."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64: {exc}") from None
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("session data must be a JSON object")
    return data


@dataclass(frozen=True, slots=True)
class _Options:
    """The options of one session() call, checked once."""

    key: str
    max_age: MaxAge | None
    auto_commit: bool
    rolling: bool
    renew: bool
    cookie: dict[str, Any]
    store: SessionStore | None
    context_store: Callable[[Context], SessionStore] | None
    external_key: ExternalKey | None
    genid: Callable[[Context], str]
    valid: Callable[[Context, dict[str, Any]], bool] | None
    before_save: Callable[[Context, Session], Any] | None
    encode: Callable[[dict[str, Any]], str]
    decode: Callable[[str], dict[str, Any]]


class Session(dict[str, Any]):
    """koa-session's Session: `ctx.session`, a dict (attribute access works too) with `is_new`.

    Keys starting with `_` are not saved. `max_age` (seconds, or "session") can be
    changed per session; `save()` forces a save, `regenerate()` a new external key.
    """

    __slots__ = ("_owner", "is_new", "_require_save", "_expire")
    _owner: _ContextSession
    is_new: bool
    _require_save: bool
    _expire: Any

    def __init__(self, owner: _ContextSession, data: dict[str, Any] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "is_new", data is None)
        object.__setattr__(self, "_require_save", False)
        object.__setattr__(self, "_expire", None)
        for key, value in (data or {}).items():
            if key == "_maxAge":
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    owner.max_age = value / 1000
            elif key == "_session":
                owner.max_age = "session"
            elif key == "_expire":
                object.__setattr__(self, "_expire", value)
            else:
                self[key] = value

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in Session.__slots__ or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_json(self) -> dict[str, Any]:
        """The data that is saved: every key not starting with `_`."""
        return {k: v for k, v in self.items() if not (isinstance(k, str) and k.startswith("_"))}

    @property
    def populated(self) -> bool:
        """Whether the session holds any data."""
        return bool(self.to_json())

    @property
    def length(self) -> int:
        """How many keys are saved."""
        return len(self.to_json())

    @property
    def max_age(self) -> MaxAge | None:
        """The lifetime of this session in seconds (or "session"); setting it forces a save."""
        return self._owner.max_age

    @max_age.setter
    def max_age(self, value: MaxAge | None) -> None:
        self._owner.max_age = value
        object.__setattr__(self, "_require_save", True)

    @property
    def external_key(self) -> str | None:
        """The session's id in the external store (None with the cookie store)."""
        return self._owner.external_key

    async def save(self) -> None:
        """Save now, even when unchanged."""
        await self._owner.commit(save=True)

    async def regenerate(self) -> None:
        """Drop the stored session and save this one under a new key."""
        await self._owner.commit(regenerate=True)

    async def manually_commit(self) -> None:
        """Commit now (for `auto_commit=False`)."""
        await self._owner.commit()


_UNSET: Any = object()


class _ContextSession:
    """The session machinery of one request (koa-session's ContextSession)."""

    __slots__ = ("ctx", "opts", "store", "session", "external_key", "prev_hash", "max_age")

    def __init__(self, ctx: Context, opts: _Options) -> None:
        self.ctx = ctx
        self.opts = opts
        self.store: Any = opts.context_store(ctx) if opts.context_store is not None else opts.store
        self.session: Session | None = _UNSET  # _UNSET: not accessed; None: destroyed
        self.external_key: str | None = None
        self.prev_hash: bytes | None = None
        self.max_age: MaxAge | None = opts.max_age

    def get(self) -> Session | None:
        session = self.session
        if session is None:
            return None
        if session is _UNSET:
            if self.store is not None:
                self.create()
            else:
                self.init_from_cookie()
            session = self.session
        return session

    def set(self, value: Any) -> None:
        if value is None:
            self.session = None
            return
        if isinstance(value, dict):
            self.create(dict(value), self.external_key)
            return
        raise TypeError("ctx.session can only be set to None or a dict")

    def _emit(self, event: str, key: str | None, value: Any) -> None:
        app = self.ctx.app
        payload = {"key": key, "value": value, "ctx": self.ctx}
        asyncio.get_running_loop().call_soon(app.emit, f"session:{event}", payload)

    def valid(self, data: Any, key: str | None = None) -> bool:
        if data is None:
            self._emit("missed", key, data)
            return False
        expire = data.get("_expire") if isinstance(data, dict) else None
        if isinstance(expire, (int, float)) and expire < time.time() * 1000:
            self._emit("expired", key, data)
            return False
        valid = self.opts.valid
        if valid is not None and not valid(self.ctx, data):
            self._emit("invalid", key, data)
            return False
        return True

    def create(self, data: dict[str, Any] | None = None, external_key: str | None = None) -> None:
        if self.store is not None:
            self.external_key = external_key or self.opts.genid(self.ctx)
        self.session = Session(self, data)

    def init_from_cookie(self) -> None:
        opts = self.opts
        cookie = self.ctx.cookies.get(opts.key, signed=opts.cookie["signed"])
        if not cookie:
            self.create()
            return
        try:
            data = opts.decode(cookie)
        except ValueError:
            self.create()  # not ours, or damaged: start afresh
            return
        if not self.valid(data):
            self.create()
            return
        self.create(data)
        assert self.session is not None
        self.prev_hash = encode_json(self.session.to_json())

    async def init_from_external(self) -> None:
        opts = self.opts
        if opts.external_key is not None:
            key = opts.external_key.get(self.ctx)
        else:
            key = self.ctx.cookies.get(opts.key, signed=opts.cookie["signed"])
        if not key:
            self.create()
            return
        data = await _maybe_await(self.store.get(key, self.max_age, rolling=opts.rolling, ctx=self.ctx))
        if not self.valid(data, key):
            self.create()
            return
        self.create(data, key)
        assert self.session is not None
        self.prev_hash = encode_json(self.session.to_json())

    async def commit(self, *, save: bool = False, regenerate: bool = False) -> None:
        session = self.session
        if session is _UNSET:
            return  # never looked at
        if session is None:
            await self.remove()
            return
        if regenerate:
            await self.remove()
            if self.store is not None:
                self.external_key = self.opts.genid(self.ctx)
        reason = "force" if save or regenerate or session._require_save else self.should_save(session)
        if not reason:
            return
        if self.opts.before_save is not None:
            self.opts.before_save(self.ctx, session)
        await self.save(session, changed=reason == "changed")

    def should_save(self, session: Session) -> str:
        data = session.to_json()
        if self.prev_hash is None and not data:
            return ""  # new and empty
        if self.prev_hash != encode_json(data):
            return "changed"
        if self.opts.rolling:
            return "rolling"
        if self.opts.renew:
            expire, max_age = session._expire, self.max_age
            if (isinstance(expire, (int, float)) and isinstance(max_age, (int, float))
                    and expire - time.time() * 1000 < max_age * 1000 / 2):
                return "renew"
        return ""

    def _cookie_options(self, **extra: Any) -> dict[str, Any]:
        return {**self.opts.cookie, **extra}

    async def remove(self) -> None:
        key = self.external_key
        if key and self.store is not None:
            await _maybe_await(self.store.destroy(key, ctx=self.ctx))
        self.ctx.cookies.set(self.opts.key, None, **self._cookie_options())

    async def save(self, session: Session, *, changed: bool) -> None:
        opts = self.opts
        data = session.to_json()
        max_age = self.max_age if self.max_age is not None else ONE_DAY
        cookie_max_age: float | None
        if max_age == "session":
            data["_session"] = True
            cookie_max_age = None
        else:
            data["_expire"] = int(time.time() * 1000 + float(max_age) * 1000)
            data["_maxAge"] = int(float(max_age) * 1000)
            cookie_max_age = float(max_age)
        key = self.external_key
        if key and self.store is not None:
            store_max_age: MaxAge = max_age if max_age == "session" else float(max_age) + 10  # outlive the cookie
            await _maybe_await(self.store.set(key, data, store_max_age, rolling=opts.rolling, changed=changed,
                                              ctx=self.ctx))
            if opts.external_key is not None:
                await _maybe_await(opts.external_key.set(self.ctx, key))
            else:
                self.ctx.cookies.set(opts.key, key, **self._cookie_options(max_age=cookie_max_age))
            return
        self.ctx.cookies.set(opts.key, opts.encode(data), **self._cookie_options(max_age=cookie_max_age))


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


_STATE = "_koa_session"


def _context_session(ctx: Context) -> _ContextSession:
    found: _ContextSession | None = ctx.__dict__.get(_STATE)
    if found is None:
        found = ctx.__dict__[_STATE] = _ContextSession(ctx, type(ctx).__dict__["_koa_session_options"])
    return found


def _extend(context_class: type[Context], opts: _Options) -> None:
    """Give `ctx.session` (and `ctx.session_options`) to the contexts of one app."""
    context_class._koa_session_options = opts  # type: ignore[attr-defined]
    context_class.session = property(  # type: ignore[attr-defined]
        lambda ctx: _context_session(ctx).get(),
        lambda ctx, value: _context_session(ctx).set(value),
        doc="koa-session's ctx.session: the Session, or None once destroyed.",
    )
    context_class.session_options = property(  # type: ignore[attr-defined]
        lambda ctx: _context_session(ctx).opts, doc="The options of the session middleware."
    )


def session(
    app: Koa,
    *,
    key: str = "koa.sess",
    max_age: MaxAge | None = ONE_DAY,
    auto_commit: bool = True,
    overwrite: bool = True,
    http_only: bool = True,
    signed: bool = True,
    rolling: bool = False,
    renew: bool = False,
    secure: bool | None = None,
    same_site: str | bool | None = None,
    path: str = "/",
    domain: str | None = None,
    store: SessionStore | None = None,
    context_store: Callable[[Context], SessionStore] | None = None,
    external_key: ExternalKey | None = None,
    genid: Callable[[Context], str] | None = None,
    prefix: str = "",
    valid: Callable[[Context, dict[str, Any]], bool] | None = None,
    before_save: Callable[[Context, Session], Any] | None = None,
    encode: Callable[[dict[str, Any]], str] = encode,
    decode: Callable[[str], dict[str, Any]] = decode,
) -> Middleware:
    """koa-session: `ctx.session` for every request of `app`, saved when it changed.

    By default the session lives in the cookie `key`, signed with `app.keys`; with
    `store` (see SessionStore, e.g. MemoryStore) only a random id (`genid`, a UUID after
    `prefix`) travels in the cookie. `max_age` is in seconds or "session" (a browser-
    session cookie). `rolling` re-sends the cookie on every response, `renew` when half
    of `max_age` has passed. Setting `ctx.session = None` destroys the session. The app
    emits "session:missed", "session:invalid" and "session:expired".
    """
    from uuid import uuid4  # perf: only sessions need it

    from koa.application import Koa

    if not isinstance(app, Koa):
        raise TypeError("session() needs the app: session(app, ...)")
    if not isinstance(key, str) or not key:
        raise TypeError(f"key must be a cookie name, got {key!r}")
    if max_age is not None and max_age != "session" and (
        isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age <= 0
    ):
        raise ValueError(f'max_age must be a number of seconds > 0, "session" or None, got {max_age!r}')
    if signed and not app.keys:
        raise ValueError("signed session cookies need app.keys: set app.keys first (or pass signed=False)")
    if store is not None and context_store is not None:
        raise TypeError("give store or context_store, not both")
    if store is not None:
        for method in ("get", "set", "destroy"):
            if not callable(getattr(store, method, None)):
                raise TypeError(f"store.{method} must be a function")
    if context_store is not None and not callable(context_store):
        raise TypeError("context_store must be a class (or function) taking ctx")
    if external_key is not None and not (callable(getattr(external_key, "get", None))
                                         and callable(getattr(external_key, "set", None))):
        raise TypeError("external_key must have get(ctx) and set(ctx, value)")
    for name, fn in (("genid", genid), ("valid", valid), ("before_save", before_save),
                     ("encode", encode), ("decode", decode)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function")
    def random_id(ctx: Context) -> str:
        return prefix + str(uuid4())

    opts = _Options(
        key=key, max_age=max_age, auto_commit=auto_commit, rolling=rolling, renew=renew,
        cookie={"signed": signed, "overwrite": overwrite, "http_only": http_only, "secure": secure,
                "same_site": same_site, "path": path, "domain": domain},
        store=store, context_store=context_store, external_key=external_key, genid=genid or random_id, valid=valid,
        before_save=before_save, encode=encode, decode=decode,
    )
    if "_koa_session_options" in app.context.__dict__:
        raise ValueError("this app already has a session middleware")
    _extend(app.context, opts)
    external = store is not None or context_store is not None

    async def session_middleware(ctx: Context, next: Next) -> None:
        if "_koa_session_options" not in type(ctx).__dict__:
            _extend(type(ctx), opts)  # mounted in another app: give its contexts ctx.session too
        sess = ctx.__dict__.get(_STATE)
        if sess is None:
            sess = ctx.__dict__[_STATE] = _ContextSession(ctx, opts)
        if external:
            await sess.init_from_external()
        try:
            await next()
        finally:
            if auto_commit:
                await sess.commit()

    return session_middleware
