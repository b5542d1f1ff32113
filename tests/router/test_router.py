"""Router registration and lookups without a request: match(), url(), route(), errors."""
from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koa.router import METHODS, Layer, Match, Router


async def handler(ctx: Any, next: Any) -> None:
    ctx.body = "ok"


def matched(router: Router, path: str, method: str = "GET") -> tuple[str | None, dict[str, str]] | None:
    found = router.match(path, method)
    return None if found is None else (found.route.path, found.params)


def test_verbs_register_and_chain() -> None:
    router = Router()
    assert router.get("/a", handler).post("/a", handler) is router
    for verb in ("put", "patch", "delete", "head", "options"):
        getattr(router, verb)("/a", handler)
    assert [layer.methods for layer in router.stack] == [
        ["HEAD", "GET"], ["POST"], ["PUT"], ["PATCH"], ["DELETE"], ["HEAD"], ["OPTIONS"]
    ]
    assert router.match("/a", "patch") is not None  # the method is case-insensitive


def test_all_registers_every_method() -> None:
    router = Router().all("/a", handler)
    assert router.stack[0].methods == list(METHODS)
    for method in ("GET", "HEAD", "PURGE", "M-SEARCH"):
        assert router.match("/a", method) is not None
    assert router.match("/a", "BREW") is None


def test_decorators() -> None:
    router = Router()

    @router.post("/users")
    async def create(ctx: Any, next: Any) -> None:
        pass

    @router.get("user", "/users/:id")
    async def show(ctx: Any, next: Any) -> None:
        pass

    assert router.stack[0].stack == [create]
    assert router.route("user") is router.stack[1]
    assert router.stack[1].stack == [show]


def test_named_routes_url_and_route() -> None:
    router = Router()
    router.get("user", "/users/:id", handler)
    router.get("/books/:category/:id", handler, name="book")
    route = router.route("user")
    assert isinstance(route, Layer) and route.name == "user" and route.path == "/users/:id"
    assert router.route("nope") is None
    assert router.url("user", {"id": 3}) == "/users/3"
    assert router.url("user", 3) == "/users/3"
    assert router.url("book", ["programming", 4], {"page": 3}) == "/books/programming/4?page=3"
    assert router.url("book", {"category": "a b", "id": "c/d"}) == "/books/a%20b/c%2Fd"
    assert router.url("user", {"id": 3}, query="limit=1") == "/users/3?limit=1"
    with pytest.raises(KeyError, match="nope"):
        router.url("nope")


def test_match_returns_route_and_params() -> None:
    router = Router()
    router.get("show", "/users/:id", handler)
    found = router.match("/users/J%C3%BCrgen", "GET")
    assert found is not None
    assert found.params == {"id": "Jürgen"}
    assert (found.route.path, found.route.name, found.route.methods) == ("/users/:id", "show", ["HEAD", "GET"])
    assert router.match("/users/1", "POST") is None
    assert router.match("/nope", "GET") is None


def test_match_object_and_method_lookup() -> None:
    router = Router()
    router.get("show", "/users/:id", handler).post("/users", handler)
    found = router.match("/users/7", "GET")
    assert isinstance(found, Match)
    assert found.route is router.stack[0]
    assert repr(found) == f"Match({router.stack[0]!r}, {{'id': '7'}})"
    assert router.match("/users/7", "get") is not None  # a method that is no key is upper-cased
    assert router.match("/users/7", "HEAD") is not None  # GET routes answer HEAD
    assert router.match("/users", "POST").route is router.stack[1]  # type: ignore[union-attr]
    assert router.match("/users", "PUT") is None
    # a new match each time, with its own params
    assert router.match("/users/7", "GET") is not found
    found.params["id"] = "changed"
    assert router.match("/users/7", "GET").params == {"id": "7"}  # type: ignore[union-attr]
    # routes added later are matched (the lookup table is rebuilt)
    router.get("/later/:x", handler)
    assert router.match("/later/1", "GET").params == {"x": "1"}  # type: ignore[union-attr]


def test_priority_is_independent_of_registration_order() -> None:
    patterns = ["/x/*rest", "/x/:id", "/x/:n(\\d+)", "/x/new"]
    for order in (patterns, patterns[::-1]):
        router = Router()
        for pattern in order:
            router.get(pattern, handler)
        assert matched(router, "/x/new") == ("/x/new", {})
        assert matched(router, "/x/12") == ("/x/:n(\\d+)", {"n": "12"})
        assert matched(router, "/x/abc") == ("/x/:id", {"id": "abc"})
        assert matched(router, "/x/a/b") == ("/x/*rest", {"rest": "a/b"})


def test_method_is_part_of_the_match() -> None:
    # POST /users/me runs POST /users/:id, as @koa/router does, not a 405 from GET /users/me
    router = Router().get("/users/me", handler).post("/users/:id", handler)
    assert matched(router, "/users/me", "POST") == ("/users/:id", {"id": "me"})


def test_optional_parameter() -> None:
    router = Router().get("/users/:id?", handler)
    assert matched(router, "/users") == ("/users/:id?", {})
    assert matched(router, "/users/4") == ("/users/:id?", {"id": "4"})


def test_trailing_slash_strict_and_not() -> None:
    loose = Router().get("/a", handler).get("/b/", handler).get("/p/:id", handler)
    assert matched(loose, "/a") == matched(loose, "/a/") == ("/a", {})
    assert matched(loose, "/b") == matched(loose, "/b/") == ("/b/", {})
    assert matched(loose, "/p/1/") == ("/p/:id", {"id": "1"})
    assert matched(loose, "/a//") is None
    strict = Router(strict=True).get("/a", handler).get("/b/", handler).get("/", handler)
    assert matched(strict, "/a") == ("/a", {})
    assert matched(strict, "/a/") is None
    assert matched(strict, "/b/") == ("/b/", {})
    assert matched(strict, "/b") is None
    assert matched(strict, "/") == ("/", {})


def test_case_sensitive_and_not() -> None:
    loose = Router().get("/Users/:Name", handler)
    assert matched(loose, "/users/Bob") == ("/Users/:Name", {"Name": "Bob"})
    assert matched(loose, "/USERS/bob") == ("/Users/:Name", {"Name": "bob"})
    sensitive = Router(sensitive=True).get("/Users", handler).get("/users", handler, name="lower")
    assert matched(sensitive, "/Users") == ("/Users", {})
    found = sensitive.match("/users", "GET")
    assert found is not None and found.route.name == "lower"
    assert sensitive.match("/USERS", "GET") is None


def test_unicode_and_percent_encoded_paths() -> None:
    router = Router().get("/café/:name", handler).get("/a%20b", handler)
    assert matched(router, "/caf%C3%A9/%E2%9C%93") == ("/café/:name", {"name": "✓"})
    assert matched(router, "/café/x") == ("/café/:name", {"name": "x"})
    assert matched(router, "/a%20b") == ("/a%20b", {})
    assert matched(router, "/a b") == ("/a%20b", {})


def test_prefix_option_and_method() -> None:
    router = Router(prefix="/api/")
    router.get("/", handler).get("/users/:id", handler, name="user")
    assert [layer.path for layer in router.stack] == ["/api/", "/api/users/:id"]
    assert matched(router, "/api") == ("/api/", {})
    assert matched(router, "/api/users/1") == ("/api/users/:id", {"id": "1"})
    router.prefix("/v1/:tenant")
    router.prefix("/v2/:tenant")  # replaces, does not stack
    assert router.url("user", {"tenant": "t", "id": 1}) == "/v2/t/users/1"
    assert matched(router, "/v2/acme/users/1") == ("/v2/:tenant/users/:id", {"tenant": "acme", "id": "1"})
    assert router.match("/api/users/1", "GET") is None
    assert router.stack[1].param_names == ("tenant", "id")


def test_strict_prefix_root() -> None:
    router = Router(prefix="/bar", strict=True).get("/", handler)
    assert router.match("/bar", "GET") is None
    assert router.match("/bar/", "GET") is not None


def test_nested_routes_are_in_match_route_and_url() -> None:
    users = Router(prefix="/users")
    users.get("user", "/:id", handler)
    api = Router(prefix="/api")
    api.use("/v1", users.routes())
    assert matched(api, "/api/v1/users/7") == ("/api/v1/users/:id", {"id": "7"})
    assert api.url("user", {"id": 7}) == "/api/v1/users/7"
    assert users.url("user", {"id": 7}) == "/users/7"  # the child is unchanged
    # a snapshot, as @koa/router clones the layers: later routes of the child stay in it
    users.get("/later", handler)
    assert api.match("/api/v1/users/later", "GET") is not None  # still /users/:id
    assert users.match("/users/later", "GET").route.path == "/users/later"  # type: ignore[union-attr]


# ---------------------------------------------------------------- registration errors


def test_invalid_pattern_names_the_route() -> None:
    with pytest.raises(ValueError, match=r"route GET /users/:id\(\\d\+ \(name 'user'\): unbalanced"):
        Router().get("user", "/users/:id(\\d+", handler)
    with pytest.raises(ValueError, match="route POST /a/:x/:x: duplicate parameter name 'x'"):
        Router().post("/a/:x/:x", handler)
    with pytest.raises(ValueError, match=r"route GET /\*rest/x: catch-all"):
        Router().get("/*rest/x", handler)
    with pytest.raises(ValueError, match="invalid regex"):
        Router().get("/:id(a{2,1})", handler)


def test_duplicate_param_with_the_prefix() -> None:
    router = Router(prefix="/users/:id")
    with pytest.raises(ValueError, match="route GET /users/:id/:id: duplicate parameter name 'id'"):
        router.get("/:id", handler)
    router.get("/:other", handler)
    with pytest.raises(ValueError, match="duplicate parameter name 'other'"):
        router.prefix("/:other")
    assert router.stack[0].path == "/users/:id/:other"  # unchanged after the refusal


def test_ambiguous_patterns() -> None:
    router = Router().get("/users/:id", handler)
    with pytest.raises(ValueError, match="route GET /users/:name is ambiguous with route GET /users/:id"):
        router.get("/users/:name", handler)
    router.post("/users/:name", handler)  # another method: another tree
    router.get("/users/:id", handler)  # the same pattern again: both run, in order
    with pytest.raises(ValueError, match="ambiguous"):
        Router().get("/a/:x(\\d+)", handler).get("/a/:y(\\d+)", handler)
    with pytest.raises(ValueError, match="ambiguous"):
        Router().get("/users/:id?", handler).get("/users/:name", handler)


def test_a_refused_route_leaves_no_trace() -> None:
    router = Router().get("/users/:id", handler)
    with pytest.raises(ValueError, match="ambiguous"):
        router.get("/users/:name?", handler)  # its "/users" form alone would have been fine
    router.get("/users", handler)
    child = Router().get("/a/:x", handler).get("/users/:other", handler)
    with pytest.raises(ValueError, match="ambiguous"):
        router.use(child.routes())
    assert [layer.path for layer in router.stack] == ["/users/:id", "/users"]
    assert router.match("/a/1", "GET") is None


def test_explicit_head_is_not_ambiguous_with_implied_head() -> None:
    router = Router().get("/a/:id", handler).head("/a/:name", handler)
    found = router.match("/a/1", "HEAD")
    assert found is not None and found.params == {"name": "1"}


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"route GET /a: middleware must be a callable"):
        Router().get("/a", 42)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="must start with '/'"):
        Router().get("users", handler)
    with pytest.raises(TypeError, match="needs at least one middleware"):
        Router().use()
    with pytest.raises(TypeError, match="needs at least one middleware"):
        Router().use("/a")
    with pytest.raises(ValueError, match="at least one method"):
        Router().register("/a", [], handler)
    with pytest.raises(ValueError, match="sensitive"):
        Router(sensitive=True).use(Router().routes())
    with pytest.raises(TypeError, match="string pattern"):
        Router().register(re.compile("^/a"), ["GET"], handler)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="string path"):
        Router().use(re.compile("^/a"), Router().routes())


def test_register_several_paths_and_methods() -> None:
    router = Router().register(["/a", "/b"], ["get", "post"], handler)
    assert [(layer.path, layer.methods) for layer in router.stack] == [
        ("/a", ["HEAD", "GET", "POST"]), ("/b", ["HEAD", "GET", "POST"])
    ]


def test_routes_and_middleware_are_the_same() -> None:
    router = Router()
    assert router.routes() is router.middleware() is router.routes()
    assert router.routes().router is router


def test_match_host() -> None:
    assert Router().match_host(None)
    assert Router(host="a.com").match_host("a.com")
    assert not Router(host="a.com").match_host("b.com")
    assert not Router(host="a.com").match_host("")
    assert Router(host=["a.com", "b.com"]).match_host("b.com")
    assert not Router(host=[]).match_host("b.com")
    assert Router(host=re.compile(r"^(.*\.)?test\.domain$")).match_host("www.test.domain")
    assert not Router(host=re.compile(r"^(.*\.)?test\.domain$")).match_host("sub.anytest.domain")


# ---------------------------------------------------------------- property test: patterns end to end

PIECES = ["a", "b", "Ab", ":p", ":n(\\d+)", ":w([a-z]+)"]
LAST = ["", "*rest", ":opt?"]
SEGMENT_REGEX = {":p": "([^/]+)", ":n(\\d+)": "(\\d+)", ":w([a-z]+)": "([a-z]+)"}
REQUEST_SEGMENTS = ["a", "b", "ab", "AB", "1", "12", "x", ""]
RANK = {":p": (2, ""), ":n(\\d+)": (1, "\\d+"), ":w([a-z]+)": (1, "[a-z]+"), "*rest": (3, ""), ":opt?": (2, "")}


def _forms(pieces: list[str], strict: bool, sensitive: bool) -> list[tuple[list[str], re.Pattern[str]]]:
    """The regexes of a pattern, path-to-regexp style: one per form (optional present or not)."""
    forms = [pieces, pieces[:-1]] if pieces[-1:] == [":opt?"] else [pieces]
    out = []
    for form in forms:
        body = "".join(
            "/(.+)" if piece == "*rest" else "/([^/]+)" if piece == ":opt?"
            else "/" + SEGMENT_REGEX.get(piece, re.escape(piece))
            for piece in form
        )
        tail = "" if strict or form[-1:] == ["*rest"] else "/?"
        out.append((form, re.compile(f"^{body}{tail}$" if body else "^/$", 0 if sensitive else re.IGNORECASE)))
    return out


@given(
    patterns=st.lists(
        st.tuples(st.lists(st.sampled_from(PIECES), max_size=3), st.sampled_from(LAST)), min_size=1, max_size=10
    ),
    paths=st.lists(st.lists(st.sampled_from(REQUEST_SEGMENTS), max_size=5).map("/".join), min_size=1, max_size=15),
    strict=st.booleans(),
    sensitive=st.booleans(),
)
@settings(max_examples=200)
def test_router_agrees_with_a_regex_reference(
    patterns: list[tuple[list[str], str]], paths: list[str], strict: bool, sensitive: bool
) -> None:
    router = Router(strict=strict, sensitive=sensitive)
    table = []
    for middle, last in patterns:
        pieces = [*middle, last] if last else middle
        path = "/" + "/".join(pieces)
        try:
            router.get(path, handler)
        except ValueError:
            continue  # ambiguous with an earlier pattern, or a duplicate name: refused
        table.append((path, _forms(pieces, strict, sensitive)))
    for path in ("/" + path for path in paths):
        candidates = []
        for pattern, forms in table:
            for pieces, compiled in forms:
                found = compiled.match(path)
                if found is not None:
                    names = [piece.strip(":*?").split("(")[0] for piece in pieces if piece[0] in ":*"]
                    rank = [RANK.get(piece, (0, "")) for piece in pieces]
                    candidates.append((rank, pattern, dict(zip(names, found.groups(), strict=True))))
                    break
        expected = min(candidates, key=lambda c: c[0])[1:] if candidates else None
        assert matched(router, path) == expected, (path, [t[0] for t in table])
