"""HttpError and one subclass per 4xx/5xx status, like Node's http-errors (used by ctx.throw)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from koa._status import MESSAGES


class HttpError(Exception):
    """http-errors' HttpError: an exception that carries a status and whether to show it."""

    status: int
    expose: bool
    headers: dict[str, str] | None
    message: str

    def __init__(
        self,
        status: int = 500,
        message: str | None = None,
        *,
        expose: bool | None = None,
        headers: Mapping[str, str] | None = None,
        **properties: Any,
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int):
            raise TypeError(f"HttpError status must be an int, got {status!r}")
        if not 400 <= status <= 599:
            # http-errors: statuses outside 4xx/5xx become 500
            status = 500
        if message is None:
            message = MESSAGES.get(status, str(status))
        super().__init__(message)
        self.status = status
        self.message = message
        self.expose = status < 500 if expose is None else bool(expose)
        self.headers = dict(headers) if headers else None
        for key, value in properties.items():
            setattr(self, key, value)

    @property
    def status_code(self) -> int:
        """Alias of `status` (Koa's err.statusCode)."""
        return self.status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.message!r})"


_BY_STATUS: dict[int, type[HttpError]] = {}


def _define(status: int, name: str) -> type[HttpError]:
    def __init__(self: HttpError, message: str | None = None, **kwargs: Any) -> None:
        HttpError.__init__(self, status, message, **kwargs)

    cls = type(name, (HttpError,), {"__init__": __init__, "__doc__": f"HTTP {status} {MESSAGES[status]}."})
    cls.__module__ = __name__
    _BY_STATUS[status] = cls
    return cls


BadRequest = _define(400, "BadRequest")
Unauthorized = _define(401, "Unauthorized")
PaymentRequired = _define(402, "PaymentRequired")
Forbidden = _define(403, "Forbidden")
NotFound = _define(404, "NotFound")
MethodNotAllowed = _define(405, "MethodNotAllowed")
NotAcceptable = _define(406, "NotAcceptable")
ProxyAuthenticationRequired = _define(407, "ProxyAuthenticationRequired")
RequestTimeout = _define(408, "RequestTimeout")
Conflict = _define(409, "Conflict")
Gone = _define(410, "Gone")
LengthRequired = _define(411, "LengthRequired")
PreconditionFailed = _define(412, "PreconditionFailed")
PayloadTooLarge = _define(413, "PayloadTooLarge")
URITooLong = _define(414, "URITooLong")
UnsupportedMediaType = _define(415, "UnsupportedMediaType")
RangeNotSatisfiable = _define(416, "RangeNotSatisfiable")
ExpectationFailed = _define(417, "ExpectationFailed")
ImATeapot = _define(418, "ImATeapot")
MisdirectedRequest = _define(421, "MisdirectedRequest")
UnprocessableEntity = _define(422, "UnprocessableEntity")
Locked = _define(423, "Locked")
FailedDependency = _define(424, "FailedDependency")
TooEarly = _define(425, "TooEarly")
UpgradeRequired = _define(426, "UpgradeRequired")
PreconditionRequired = _define(428, "PreconditionRequired")
TooManyRequests = _define(429, "TooManyRequests")
RequestHeaderFieldsTooLarge = _define(431, "RequestHeaderFieldsTooLarge")
UnavailableForLegalReasons = _define(451, "UnavailableForLegalReasons")
InternalServerError = _define(500, "InternalServerError")
NotImplemented = _define(501, "NotImplemented")  # noqa: A001 - http-errors' name
BadGateway = _define(502, "BadGateway")
ServiceUnavailable = _define(503, "ServiceUnavailable")
GatewayTimeout = _define(504, "GatewayTimeout")
HTTPVersionNotSupported = _define(505, "HTTPVersionNotSupported")
VariantAlsoNegotiates = _define(506, "VariantAlsoNegotiates")
InsufficientStorage = _define(507, "InsufficientStorage")
LoopDetected = _define(508, "LoopDetected")
BandwidthLimitExceeded = _define(509, "BandwidthLimitExceeded")
NotExtended = _define(510, "NotExtended")
NetworkAuthenticationRequired = _define(511, "NetworkAuthenticationRequired")


def create_error(status: int = 500, message: str | None = None, **kwargs: Any) -> HttpError:
    """http-errors' createError(): the subclass for `status`, or a plain HttpError."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return HttpError(status, message, **kwargs)
    return cls(message, **kwargs)  # type: ignore[arg-type]  # subclasses take (message, ...)
