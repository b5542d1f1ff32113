"""Security headers, like koa-helmet (helmet 8's defaults)."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from koa._headers import check_value
from koa.context import Context
from koa.middleware._carry import carry_headers
from koa.types import Middleware, Next

DEFAULT_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "base-uri": ("'self'",),
    "font-src": ("'self'", "https:", "data:"),
    "form-action": ("'self'",),
    "frame-ancestors": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "script-src": ("'self'",),
    "script-src-attr": ("'none'",),
    "style-src": ("'self'", "https:", "'unsafe-inline'"),
    "upgrade-insecure-requests": (),
}
_DIRECTIVE_NAME = re.compile(r"^[a-z][a-z-]*$")
_POLICIES = {
    "cross_origin_embedder_policy": ("Cross-Origin-Embedder-Policy", "require-corp",
                                     {"require-corp", "credentialless", "unsafe-none"}),
    "cross_origin_opener_policy": ("Cross-Origin-Opener-Policy", "same-origin",
                                   {"same-origin", "same-origin-allow-popups", "unsafe-none",
                                    "noopener-allow-popups"}),
    "cross_origin_resource_policy": ("Cross-Origin-Resource-Policy", "same-origin",
                                     {"same-origin", "same-site", "cross-origin"}),
}
_REFERRER_POLICIES = {
    "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
    "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url", "",
}
_CROSS_DOMAIN = {"none", "master-only", "by-content-type", "all"}

Option = bool | Mapping[str, Any]
DirectiveValue = str | Callable[[Context], str]


def _options(name: str, value: Option, allowed: set[str]) -> Mapping[str, Any] | None:
    """None when the header is off, else its options (empty for `True`)."""
    if value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a bool or a dict of options, got {value!r}")
    unknown = set(value) - allowed
    if unknown:
        raise TypeError(f"{name} got unknown options {sorted(unknown)}, expected some of {sorted(allowed)}")
    return value


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z])([A-Z])", r"-\1", name).replace("_", "-").lower()


def _csp(options: Mapping[str, Any]) -> tuple[str, str | None, list[tuple[str, list[DirectiveValue]]]]:
    """CSP header name, its value when static, and the directives (for per-request values)."""
    directives: dict[str, list[DirectiveValue]] = {}
    if options.get("use_defaults", True):
        directives = {k: list(v) for k, v in DEFAULT_DIRECTIVES.items()}
    for raw_name, raw_value in (options.get("directives") or {}).items():
        name = _kebab(raw_name)
        if not _DIRECTIVE_NAME.match(name):
            raise ValueError(f"content_security_policy: invalid directive name {raw_name!r}")
        if raw_value is None:
            directives.pop(name, None)
            continue
        values: list[Any] = [raw_value] if isinstance(raw_value, str) or callable(raw_value) else list(raw_value)
        for item in values:
            if callable(item):
                continue
            if not isinstance(item, str):
                raise TypeError(f"content_security_policy: {name} values must be str or callables, got {item!r}")
            if ";" in item or "," in item:
                raise ValueError(f"content_security_policy: invalid value {item!r} for {name}")
            check_value(name, item)
        directives[name] = values
    if "default-src" not in directives and options.get("use_defaults", True):
        raise ValueError("content_security_policy needs a default-src directive (set it, or use_defaults=False)")
    header = "Content-Security-Policy-Report-Only" if options.get("report_only") else "Content-Security-Policy"
    items = list(directives.items())
    dynamic = any(callable(v) for _, values in items for v in values)
    return header, None if dynamic else _render(items, None), items


def _render(items: list[tuple[str, list[DirectiveValue]]], ctx: Context | None) -> str:
    parts = []
    for name, values in items:
        texts = [v(ctx) if callable(v) and ctx is not None else str(v) for v in values]
        parts.append(" ".join([name, *texts]) if texts else name)
    return ";".join(parts)


def helmet(
    *,
    content_security_policy: Option = True,
    cross_origin_embedder_policy: Option = False,
    cross_origin_opener_policy: Option = True,
    cross_origin_resource_policy: Option = True,
    origin_agent_cluster: bool = True,
    referrer_policy: Option = True,
    strict_transport_security: Option = True,
    x_content_type_options: bool = True,
    x_dns_prefetch_control: Option = True,
    x_download_options: bool = True,
    x_frame_options: Option = True,
    x_permitted_cross_domain_policies: Option = True,
    x_powered_by: bool = True,
    x_xss_protection: bool = True,
) -> Middleware:
    """koa-helmet: set helmet's security headers (each one `False` to skip, or a dict of options).

    Options follow helmet's, in snake_case: `content_security_policy={"directives": {...},
    "use_defaults": True, "report_only": False}` (a directive value may be a function
    `(ctx) -> str`, e.g. for nonces; None drops a default directive),
    `strict_transport_security={"max_age": 31536000, "include_sub_domains": True,
    "preload": False}`, `x_frame_options={"action": "sameorigin"}`, `referrer_policy=
    {"policy": "no-referrer"}`, the three `cross_origin_*_policy={"policy": ...}`,
    `x_dns_prefetch_control={"allow": False}`, `x_permitted_cross_domain_policies=
    {"permitted_policies": "none"}`. `x_powered_by=True` removes X-Powered-By. The
    headers are kept on error responses.
    """
    headers: dict[str, str] = {}
    csp_header: str | None = None
    csp_items: list[tuple[str, list[DirectiveValue]]] = []
    csp = _options("content_security_policy", content_security_policy, {"directives", "use_defaults", "report_only"})
    if csp is not None:
        csp_header, static_csp, csp_items = _csp(csp)
        if static_csp is not None:
            headers[csp_header] = static_csp
            csp_header = None
    for name, value in (
        ("cross_origin_embedder_policy", cross_origin_embedder_policy),
        ("cross_origin_opener_policy", cross_origin_opener_policy),
        ("cross_origin_resource_policy", cross_origin_resource_policy),
    ):
        field, default, valid = _POLICIES[name]
        opts = _options(name, value, {"policy"})
        if opts is not None:
            policy = opts.get("policy", default)
            if policy not in valid:
                raise ValueError(f"{name}: policy must be one of {sorted(valid)}, got {policy!r}")
            headers[field] = policy
    if origin_agent_cluster:
        headers["Origin-Agent-Cluster"] = "?1"
    referrer = _options("referrer_policy", referrer_policy, {"policy"})
    if referrer is not None:
        policy = referrer.get("policy", "no-referrer")
        tokens = [policy] if isinstance(policy, str) else list(policy)
        if not tokens or any(t not in _REFERRER_POLICIES for t in tokens) or len(set(tokens)) != len(tokens):
            raise ValueError(f"referrer_policy: invalid policy {policy!r}")
        headers["Referrer-Policy"] = ",".join(tokens)
    hsts = _options("strict_transport_security", strict_transport_security,
                    {"max_age", "include_sub_domains", "preload"})
    if hsts is not None:
        max_age = hsts.get("max_age", 365 * 24 * 60 * 60)
        if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age < 0:
            raise ValueError(f"strict_transport_security: max_age must be a number of seconds >= 0, got {max_age!r}")
        hsts_value = f"max-age={int(max_age)}"
        if hsts.get("include_sub_domains", True):
            hsts_value += "; includeSubDomains"
        if hsts.get("preload", False):
            hsts_value += "; preload"
        headers["Strict-Transport-Security"] = hsts_value
    if x_content_type_options:
        headers["X-Content-Type-Options"] = "nosniff"
    dns = _options("x_dns_prefetch_control", x_dns_prefetch_control, {"allow"})
    if dns is not None:
        headers["X-DNS-Prefetch-Control"] = "on" if dns.get("allow", False) else "off"
    if x_download_options:
        headers["X-Download-Options"] = "noopen"
    frame = _options("x_frame_options", x_frame_options, {"action"})
    if frame is not None:
        action = str(frame.get("action", "sameorigin")).lower()
        if action not in ("sameorigin", "deny"):
            raise ValueError(f"x_frame_options: action must be 'sameorigin' or 'deny', got {action!r}")
        headers["X-Frame-Options"] = action.upper()
    cross_domain = _options("x_permitted_cross_domain_policies", x_permitted_cross_domain_policies,
                            {"permitted_policies"})
    if cross_domain is not None:
        permitted = cross_domain.get("permitted_policies", "none")
        if permitted not in _CROSS_DOMAIN:
            raise ValueError(f"x_permitted_cross_domain_policies: must be one of {sorted(_CROSS_DOMAIN)}")
        headers["X-Permitted-Cross-Domain-Policies"] = permitted
    if x_xss_protection:
        headers["X-XSS-Protection"] = "0"
    for field, text in headers.items():
        check_value(field, text)

    async def helmet_middleware(ctx: Context, next: Next) -> None:
        response = ctx.response
        response.set(headers)
        sent = headers
        if csp_header is not None:
            sent = {**headers, csp_header: _render(csp_items, ctx)}
            response.set(csp_header, sent[csp_header])
        if x_powered_by:
            response.remove("X-Powered-By")
        try:
            await next()
        except Exception as err:
            carry_headers(err, sent, override=False)
            raise

    return helmet_middleware

