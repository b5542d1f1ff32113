"""Fuzzing (hypothesis): every parser that reads attacker input, and raw requests at live servers.

The oracles are in security/fuzz/targets.py (parsers) and security/fuzz/inproc.py (our
protocol, fed from memory); the strategies in security/fuzz/strategies.py. CI runs a
modest number of examples per test; `make fuzz` sets KOA_FUZZ_EXAMPLES (thousands) and
also runs the atheris harness (security/fuzz/atheris_main.py) on the same targets.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from security._wire import ServerThread, exchange, good_request
from security.fuzz import inproc
from security.fuzz.strategies import (
    LATIN1,
    conversations,
    header_text,
    multipart_forms,
    request_paths,
    route_patterns,
    spiced,
)
from security.fuzz.targets import (
    TARGETS,
    check_cookies,
    check_form,
    check_keygrip,
    check_negotiate,
    check_query,
    check_range,
    check_router,
    make_ctx,
)

EXAMPLES = int(os.environ.get("KOA_FUZZ_EXAMPLES", "0"))


def fuzz(ci_examples: int, share: float = 1.0) -> settings:
    """`ci_examples` in the normal suite; `share` of KOA_FUZZ_EXAMPLES (make fuzz) when that is set."""
    return settings(
        max_examples=max(int(EXAMPLES * share), ci_examples) if EXAMPLES else ci_examples, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# -- query strings, cookies, negotiation, Range ----------------------------------------------------------
@fuzz(200)
@given(st.one_of(st.text(LATIN1, max_size=80), spiced(max_size=80), st.text(max_size=40)))
@example("a=1&a=2&a")
@example("%ff%fe=%c0%ae&&=&a[b]=1&__proto__=x")
@example("&" * 200)
def test_query(qs: str) -> None:
    check_query(qs)


COOKIE_PAIRS = st.lists(
    st.tuples(st.sampled_from(["a", "b", "a.sig", "b.sig", "", " a", "a "]), header_text), max_size=6,
).map(lambda pairs: "; ".join(f"{k}={v}" for k, v in pairs))


@fuzz(200)
@given(st.one_of(header_text, COOKIE_PAIRS), st.sampled_from(["a", "b", "sid", "koa.sess"]))
@example("a=1; a.sig=" + "\\" * 100, "a")
@example('a="unterminated; a.sig="', "a")
def test_cookies(header: str, name: str) -> None:
    check_cookies(header, name)


def test_signed_cookie_with_non_ascii_signature() -> None:
    ctx = make_ctx([("Cookie", "a=1; a.sig=\xe9")])
    assert ctx.cookies.get("a", signed=True) is None


@fuzz(100)
@given(header_text, header_text)
def test_keygrip(data: str, digest: str) -> None:
    check_keygrip(data, digest)


ACCEPT_ITEMS = st.one_of(
    st.sampled_from(["*/*", "text/*", "text/html", "application/json", "en", "en-US", "fr", "*", "gzip", "br",
                     "identity", "utf-8", "iso-8859-1", ""]),
    header_text,
).flatmap(lambda item: st.sampled_from([item, item + ";q=0", item + ";q=0.5", item + ";q=nan", item + ";q=-1",
                                        item + ";q=1e400", item + ';level="1,2"', item + ";q"]))
ACCEPT = st.lists(ACCEPT_ITEMS, max_size=6).map(", ".join)
OFFERS = st.lists(st.sampled_from(["text/html", "application/json", "json", "html", "en", "en-US", "gzip", "br",
                                   "identity", "utf-8", "*/*", "", "text/*"]), max_size=4)


@fuzz(200)
@given(st.one_of(ACCEPT, header_text), OFFERS)
@example('"' + ", x" * 300, ["en"])
def test_negotiate(header: str, provided: list[str]) -> None:
    check_negotiate(header, provided)


RANGE = st.one_of(
    st.tuples(st.sampled_from(["bytes", "Bytes", " bytes ", "items", ""]), st.sampled_from(["=", " = ", ""]),
              st.lists(st.tuples(st.text("0123456789", max_size=25), st.sampled_from(["-", " - ", "--", ""]),
                                 st.text("0123456789", max_size=25)), min_size=1, max_size=3))
    .map(lambda t: t[0] + t[1] + ",".join(a + d + b for a, d, b in t[2])),
    header_text,
)


@fuzz(300)
@given(RANGE, st.integers(0, 2**40))
@example("bytes=0-0", 0)
@example("bytes=-0", 10)
@example("bytes=\u0661-\u0662", 10)
def test_range(header: str, size: int) -> None:
    check_range(header, size)


def test_range_long_digit_run() -> None:
    check_range("bytes=" + "1" * 5000 + "-", 100)


# -- forms ------------------------------------------------------------------------------------------------
@fuzz(150)
@given(multipart_forms())
def test_multipart(form: tuple[str, list[bytes], list[tuple[str, str | None, bytes]] | None]) -> None:
    content_type, chunks, expected = form
    parsed = check_form(content_type, chunks)
    if expected is None:
        return
    assert parsed is not None, "a well-formed multipart body was refused"
    got = list(parsed.items())
    assert [name for name, _ in got] == [name for name, _, _ in expected]
    for (_, value), (_, filename, content) in zip(got, expected, strict=True):
        if filename is None:
            assert value == content.decode("utf-8")
        else:
            assert value.filename == filename


@fuzz(150)
@given(st.one_of(header_text, st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=",
                                                "application/x-www-form-urlencoded", "text/plain"])),
       st.lists(st.binary(max_size=80), max_size=4))
def test_form_any_body(content_type: str, chunks: list[bytes]) -> None:
    check_form(content_type, chunks)


def test_multipart_limits_hold() -> None:
    """Too many fields, too large a field: 413, as bytes arrive (not after buffering everything)."""
    many = b"".join(b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n' for _ in range(100)) + b"--b--\r\n"
    big = b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n' + b"x" * 100_000 + b"\r\n--b--\r\n"
    for body in (many, big):
        assert check_form("multipart/form-data; boundary=b", [body]) is None


# -- router -----------------------------------------------------------------------------------------------
@fuzz(150)
@given(st.lists(route_patterns, min_size=1, max_size=5), st.lists(request_paths, min_size=1, max_size=5))
@example(["/:a(", "/:a(b", "/*", "/:", "/:a/:a"], ["/x"])
@example(["/:id(\\d+)", "/users/:name?"], ["/%ff", "/users/%c0%ae", "/12", "/users/"])
def test_router(patterns: list[str], paths: list[str]) -> None:
    check_router(patterns, paths)


# -- raw bytes through every target (what atheris does, here with hypothesis' binary()) -----------------
@fuzz(60)
@given(st.sampled_from(sorted(TARGETS)), st.binary(max_size=300))
def test_targets_take_any_bytes(name: str, data: bytes) -> None:
    TARGETS[name](data)


# -- large inputs stay linear --------------------------------------------------------------------------------
HEAD_BUDGET = 16 * 1024  # what max_header_size lets through


@pytest.mark.parametrize("case", ["cookie", "accept", "query", "range", "router"])
def test_parsers_stay_fast_on_head_sized_input(case: str) -> None:
    """Each parser handles a max_header_size input built to make it backtrack or go quadratic, quickly."""
    n = HEAD_BUDGET
    start = time.perf_counter()
    if case == "cookie":
        check_cookies(("a=" + "\\" * 20 + ";") * (n // 24), "a")
        check_cookies('a="' + ";" * n, "a")
    elif case == "accept":
        check_negotiate('"' + ", x" * (n // 3), ["en", "text/html"])
        check_negotiate("a" * (n // 2) + "-" + "b" * (n // 2) + " c", ["en"])
        check_negotiate("text/html;" + ";".join(f"p{i}=v" for i in range(n // 6)), ["text/html"])
    elif case == "query":
        check_query("&" * n)
        check_query("a=" + "%" * n)
        check_query("a[b]=1&" * (n // 7))
    elif case == "range":
        check_range("bytes=" + "0-1," * (n // 4), 100)
        check_range("bytes=" + " " * n + "1-2", 100)
    else:
        check_router(["/:a/:b/:c/*rest", "/x/:y(\\d+)"], ["/" + "a/" * (n // 2), "/x/" + "1" * n + "a"])
    assert time.perf_counter() - start < 2.0


# -- our protocol, in memory ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wire() -> Iterator[inproc.Wire]:
    w = inproc.Wire()
    yield w
    w.close()


@fuzz(300)
@given(conversations())
def test_protocol_structured(wire: inproc.Wire, conversation: tuple[bytes, list[int]]) -> None:
    data, cuts = conversation
    inproc.check_wire(wire, data, cuts)


@fuzz(150)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=3))
@example(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 40, [7, 100])
@example(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1;" + b"e" * 9000, [60])
def test_protocol_bytes(wire: inproc.Wire, data: bytes, cuts: list[int]) -> None:
    inproc.check_wire(wire, data, cuts)


# -- live servers -----------------------------------------------------------------------------------------
LIVE_OPTIONS = {"keep_alive_timeout": 0.2, "header_timeout": 0.5}
LIVE_TIMEOUT = 4.0  # every exchange ends well before: keep-alive 0.2 s, head 0.5 s, the app's body wait 0.3 s
HALF_CLOSE_AFTER = 1.5


@pytest.fixture(scope="module", params=["httptools", "aiohttp"])
def live(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    with ServerThread(inproc.fuzz_app(body_timeout=True), request.param, **LIVE_OPTIONS) as server:
        yield server


@fuzz(40, share=0.2)  # each example is a real exchange (up to a second or two): a fifth of the count
@given(conversations())
def test_live_server(live: ServerThread, conversation: tuple[bytes, list[int]]) -> None:
    """Any request bytes: HTTP back (never a 500) or a clean close, within the timeouts; then a good request works."""
    data, cuts = conversation
    steps, start = [], 0
    for cut in sorted(set(cuts)) + [len(data)]:
        if cut > start:
            steps.append((data[start:cut], 0.0))
            start = cut
    result = exchange(live.port, steps, until_close=True, timeout=LIVE_TIMEOUT, half_close_after=HALF_CLOSE_AFTER)
    assert result.closed, f"no close within {LIVE_TIMEOUT}s: {data[:200]!r}"
    if live.transport == "httptools":
        # our server ends every exchange by itself (a timeout, an answer and close, keep-alive)
        assert not result.half_closed, f"waited past {HALF_CLOSE_AFTER}s with no close: {data[:200]!r}"
    assert result.garbage is None, result.garbage
    assert 500 not in result.statuses, (data[:300], result.raw[:300])
    assert not live.unexpected_errors(), live.unexpected_errors()
    assert good_request(live.port).statuses == [200]


def test_quoted_accept_header_splits_in_linear_time() -> None:
    # an unclosed quote once made _split_quoted quadratic (seconds at 192 KB)
    from koa import _negotiate

    header = '"' + "a/b;q=1," * 24_000
    start = time.perf_counter()
    _negotiate.media_types(header, ["text/html"])
    assert time.perf_counter() - start < 1.0
