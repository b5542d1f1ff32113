"""Koa's __tests__/application/index.test.js, toJSON.test.js, inspect.test.js: the constructor."""
from __future__ import annotations

import pytest

import koa
from koa import HttpError, Koa


def test_env_defaults_to_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOA_ENV", raising=False)
    assert Koa().env == "development"


def test_env_empty_koa_env_is_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOA_ENV", "")
    assert Koa().env == "development"


def test_env_from_koa_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOA_ENV", "production")
    assert Koa().env == "production"


def test_env_from_constructor_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOA_ENV", "production")
    assert Koa(env="custom").env == "custom"


def test_proxy_from_constructor() -> None:
    assert Koa(proxy=True).proxy is True
    assert Koa().proxy is False


def test_keys_from_constructor() -> None:
    keys = ["customkey"]
    assert Koa(keys=keys).keys is keys
    assert Koa().keys is None


def test_subdomain_offset_from_constructor() -> None:
    assert Koa(subdomain_offset=3).subdomain_offset == 3
    assert Koa().subdomain_offset == 2


def test_proxy_ip_header_and_max_ips_count() -> None:
    app = Koa(proxy_ip_header="X-Client-IP", max_ips_count=2)
    assert app.proxy_ip_header == "X-Client-IP"
    assert app.max_ips_count == 2
    default = Koa()
    assert default.proxy_ip_header == "X-Forwarded-For"
    assert default.max_ips_count == 0


def test_silent_from_constructor() -> None:
    assert Koa(silent=True).silent is True
    assert Koa().silent is False


def test_settings_are_settable_attributes() -> None:
    app = Koa()
    app.env = "test"
    app.keys = ["a"]
    app.proxy = True
    app.subdomain_offset = 1
    app.proxy_ip_header = "X-Real-IP"
    app.max_ips_count = 1
    app.silent = True
    assert (app.env, app.keys, app.proxy, app.subdomain_offset) == ("test", ["a"], True, 1)
    assert (app.proxy_ip_header, app.max_ips_count, app.silent) == ("X-Real-IP", 1, True)


def test_keyword_only_options() -> None:
    with pytest.raises(TypeError):
        Koa("production")  # type: ignore[misc]


def test_exports_http_error() -> None:
    assert koa.HttpError is HttpError
    with pytest.raises(HttpError):
        raise HttpError(500, "test error")


def test_to_json() -> None:
    app = Koa(env="test")
    assert app.to_json() == {"subdomain_offset": 2, "proxy": False, "env": "test"}


def test_inspect_returns_json_representation() -> None:
    app = Koa(env="test")
    assert app.inspect() == app.to_json()


def test_repr_names_env_and_middleware_count() -> None:
    app = Koa(env="test")
    app.use(lambda ctx, next: None)
    assert repr(app) == "<Koa env='test' middleware=1>"


def test_dunder_all_lists_the_public_names() -> None:
    for name in ("Koa", "Context", "Request", "Response", "HttpError", "compose", "current_context"):
        assert name in koa.__all__
        assert hasattr(koa, name)
