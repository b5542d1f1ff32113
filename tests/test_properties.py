"""Property tests (hypothesis): the parsers and formatters behind the core never crash and round-trip."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from koa import Koa
from koa._headers import check_value, content_disposition, encode_url
from koa.cookies import Keygrip
from koa.request import parse_query, stringify_query

fast = settings(max_examples=100, deadline=None)

latin1_header = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80)


def ctx_with(headers: dict[str, str]) -> object:
    app = Koa(keys=["k"])
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return app.create_context(app.request("GET", "/", raw, None))


@fast
@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=10), max_size=6))
def test_query_round_trip(data: dict[str, str]) -> None:
    assert parse_query(stringify_query(data)) == data


@fast
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.lists(st.text(max_size=8), min_size=2, max_size=4),
                       max_size=4))
def test_query_round_trip_with_lists(data: dict[str, list[str]]) -> None:
    assert parse_query(stringify_query(data)) == data


@fast
@given(st.text(max_size=60))
def test_content_disposition_is_always_a_valid_header(name: str) -> None:
    value = content_disposition(name)
    assert check_value("Content-Disposition", value) == value
    value.encode("latin-1")


@fast
@given(st.text(max_size=60))
def test_encode_url_is_ascii_without_spaces_or_breaks(url: str) -> None:
    out = encode_url(url)
    assert out.isascii()
    assert not any(c in out for c in " \r\n\t\x00\"<>`")


@fast
@given(latin1_header, st.lists(st.sampled_from(["html", "json", "text/plain", "image/*", "png", "xml"]),
                               max_size=3))
def test_accepts_never_crashes(header: str, offered: list[str]) -> None:
    ctx = ctx_with({"accept": header, "accept-language": header, "accept-encoding": header,
                    "accept-charset": header})
    for method in ("accepts", "accepts_languages", "accepts_encodings", "accepts_charsets"):
        result = getattr(ctx, method)(*offered)
        assert result is False or isinstance(result, (str, list))
        if offered and isinstance(result, str):
            assert result in offered


@fast
@given(latin1_header, latin1_header, latin1_header)
def test_fresh_never_crashes(none_match: str, modified_since: str, etag: str) -> None:
    ctx = ctx_with({"if-none-match": none_match, "if-modified-since": modified_since})
    ctx.status = 200  # type: ignore[attr-defined]
    ctx.response.set("ETag", etag)  # type: ignore[attr-defined]
    assert ctx.fresh in (True, False)  # type: ignore[attr-defined]


@fast
@given(latin1_header)
def test_cookie_parsing_never_crashes(header: str) -> None:
    ctx = ctx_with({"cookie": header})
    for name in ("a", "session", "x.sig"):
        value = ctx.cookies.get(name, signed=False)  # type: ignore[attr-defined]
        assert value is None or isinstance(value, str)
        ctx.cookies.get(name)  # type: ignore[attr-defined]


@fast
@given(latin1_header, latin1_header)
def test_host_and_content_type_parsing_never_crash(host: str, content_type: str) -> None:
    ctx = ctx_with({"host": host, "content-type": content_type, "transfer-encoding": "chunked"})
    for attr in ("host", "hostname", "subdomains", "href", "protocol"):
        getattr(ctx, attr)
    ctx.request.charset  # type: ignore[attr-defined]  # noqa: B018
    ctx.is_("json", "text/*")  # type: ignore[attr-defined]


@fast
@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3), st.text(max_size=30))
def test_keygrip_verifies_what_it_signs(keys: list[str], data: str) -> None:
    grip = Keygrip(keys)
    assert grip.index(data, grip.sign(data)) == 0
    assert grip.verify(data, Keygrip(keys[::-1]).sign(data))
