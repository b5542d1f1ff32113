"""Cookies and Keygrip, interoperable with the `cookies` and `keygrip` packages Koa uses."""
from __future__ import annotations

import base64
import hmac
import math
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from koa.context import Context

# RFC 6265 field content as the cookies package checks it
_FIELD_CONTENT = re.compile(r"^[\u0009\u0020-\u007e\u0080-\u00ff]+$")
_PATH_VALUE = re.compile(r"^[ -:=-~]*$")
_DOMAIN_VALUE = re.compile(
    r"^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", re.IGNORECASE
)
_SAME_SITE = {"strict": "strict", "lax": "lax", "none": "none"}
_PRIORITY = frozenset({"low", "medium", "high"})


class Keygrip:
    """keygrip: sign with the first key, verify against any (HMAC-SHA1, base64url)."""

    __slots__ = ("keys", "digest")

    def __init__(self, keys: Sequence[str | bytes], digest: str = "sha1") -> None:
        if isinstance(keys, (str, bytes)) or not keys:
            raise TypeError("Keygrip needs a non-empty list of keys")
        self.keys = [k.encode() if isinstance(k, str) else bytes(k) for k in keys]
        self.digest = digest

    def _sign(self, data: str, key: bytes) -> str:
        mac = hmac.new(key, data.encode(), self.digest).digest()
        return base64.b64encode(mac).decode().replace("/", "_").replace("+", "-").rstrip("=")

    def sign(self, data: str) -> str:
        """The signature of `data` with the first key."""
        return self._sign(data, self.keys[0])

    def index(self, data: str, digest: str) -> int:
        """The index of the key that signed `data`, or -1."""
        if not digest.isascii():
            return -1  # never one of ours (and compare_digest refuses non-ASCII str)
        for i, key in enumerate(self.keys):
            if hmac.compare_digest(self._sign(data, key), digest):
                return i
        return -1

    def verify(self, data: str, digest: str) -> bool:
        """Whether any key signed `data`."""
        return self.index(data, digest) > -1


def _keygrip(keys: Any) -> Keygrip | None:
    if keys is None:
        return None
    return keys if isinstance(keys, Keygrip) else Keygrip(keys)


class Cookies:
    """Koa's ctx.cookies: read the Cookie header, queue Set-Cookie headers."""

    __slots__ = ("_ctx", "_keys", "_parsed")

    def __init__(self, ctx: Context, keys: Any = None) -> None:
        self._ctx = ctx
        self._keys = _keygrip(keys)
        self._parsed: dict[str, str] | None = None

    def _jar(self) -> dict[str, str]:
        jar = self._parsed
        if jar is None:
            jar = {}
            for part in self._ctx.request.get("Cookie").split(";"):
                name, eq, value = part.strip().partition("=")
                if eq and name and name not in jar:
                    jar[name] = value.strip()
            self._parsed = jar
        return jar

    def get(self, name: str, signed: bool | None = None) -> str | None:
        """A cookie's value; with `signed` (default when app.keys is set) a bad signature gives None."""
        value = self._jar().get(name)
        if value is not None and value[:1] == '"':
            value = value[1:-1]  # the cookies package drops the quotes of a quoted value
        if signed is None:
            signed = self._keys is not None
        if not signed:
            return value
        if value is None:
            return None
        keys = self._keys
        if keys is None:
            raise RuntimeError(".keys required for signed cookies")
        sig_name = name + ".sig"
        remote = self._jar().get(sig_name)
        if not remote:
            return None
        data = f"{name}={value}"
        index = keys.index(data, remote)
        if index < 0:
            self.set(sig_name, None, path="/", signed=False)
            return None
        if index > 0:
            self.set(sig_name, keys.sign(data), signed=False)
        return value

    def set(
        self,
        name: str,
        value: str | None = None,
        *,
        max_age: float | None = None,
        expires: datetime | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool | None = None,
        http_only: bool = True,
        same_site: str | bool | None = None,
        signed: bool | None = None,
        overwrite: bool = False,
        priority: str | None = None,
        partitioned: bool = False,
    ) -> Cookies:
        """Queue a Set-Cookie (and `name.sig` when signed); `value=None` deletes it."""
        ctx = self._ctx
        if not isinstance(name, str) or not _FIELD_CONTENT.match(name) or "=" in name or ";" in name:
            raise TypeError(f"argument name is invalid: {name!r}")
        if value is not None and not isinstance(value, str):
            raise TypeError(f"cookie value must be a str or None, got {type(value).__name__}")
        if value and (not _FIELD_CONTENT.match(value) or ";" in value):
            raise TypeError(f"argument value is invalid: {value!r}")
        if path and not _PATH_VALUE.match(path):
            raise TypeError(f"option path is invalid: {path!r}")
        if domain and not _DOMAIN_VALUE.match(domain):
            raise TypeError(f"option domain is invalid: {domain!r}")
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or not math.isfinite(max_age)
        ):
            raise TypeError(f"option max_age is invalid: {max_age!r}")
        if priority is not None and str(priority).lower() not in _PRIORITY:
            raise TypeError(f"option priority is invalid: {priority!r}")
        if same_site not in (None, False, True) and str(same_site).lower() not in _SAME_SITE:
            raise TypeError(f"option same_site is invalid: {same_site!r}")
        is_secure = ctx.request.secure
        if secure is None:
            secure = is_secure
        elif secure and not is_secure:
            raise ValueError("Cannot send secure cookie over unencrypted connection")
        if signed is None:
            signed = self._keys is not None
        if signed and self._keys is None:
            raise RuntimeError(".keys required for signed cookies")

        header = _cookie_header(name, value or "", max_age, expires, path, domain, secure,
                                http_only, same_site, priority, partitioned, deleting=not value)
        self._push(name, header, overwrite)
        if signed:
            assert self._keys is not None
            sig_header = _cookie_header(
                name + ".sig", self._keys.sign(f"{name}={value or ''}"),
                max_age, expires, path, domain, secure, http_only, same_site, priority,
                partitioned, deleting=not value,
            )
            self._push(name + ".sig", sig_header, overwrite)
        return self

    def _push(self, name: str, header: str, overwrite: bool) -> None:
        response = self._ctx.response
        current = response._headers.get("set-cookie")
        values: list[str] = []
        if current is not None:
            values = list(current[1]) if isinstance(current[1], list) else [current[1]]
        if overwrite:
            prefix = name + "="
            values = [v for v in values if not v.startswith(prefix)]
        values.append(header)
        response.set("Set-Cookie", values)


def _cookie_header(
    name: str, value: str, max_age: float | None, expires: datetime | None, path: str | None,
    domain: str | None, secure: bool, http_only: bool, same_site: str | bool | None,
    priority: str | None, partitioned: bool, *, deleting: bool,
) -> str:
    parts = [f"{name}={value}"]
    if deleting:
        expires = datetime(1970, 1, 1, tzinfo=UTC)
    elif max_age is not None:
        expires = datetime.fromtimestamp(time.time() + max_age, UTC)
    if path:
        parts.append(f"path={path}")
    if expires is not None:
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        from email.utils import format_datetime  # (on first use: see koa/response.py)

        parts.append("expires=" + format_datetime(expires.astimezone(UTC), usegmt=True))
    if domain:
        parts.append(f"domain={domain}")
    if priority:
        parts.append(f"priority={priority.lower()}")
    if same_site:
        site = "strict" if same_site is True else _SAME_SITE.get(str(same_site).lower())
        if site is None:
            raise TypeError(f"option same_site is invalid: {same_site!r}")
        parts.append(f"samesite={site}")
    if secure:
        parts.append("secure")
    if http_only:
        parts.append("httponly")
    if partitioned:
        parts.append("partitioned")
    return "; ".join(parts)
