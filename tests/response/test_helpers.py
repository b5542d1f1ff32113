"""The private helpers behind the response: koa._headers (encodeurl, WHATWG URL shape, vary) and koa._mime."""
from __future__ import annotations

import pytest

from koa import _mime
from koa._headers import check_name, check_value, encode_url, merge_vary, normalize_http_url


# each expected value is what Node's `new URL(url).toString()` gives (before encodeurl)
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://google.com", "http://google.com/"),
        ("http://google.com\\@apple.com", "http://google.com/@apple.com"),
        ("HTTP://google.com\\@apple.com", "http://google.com/@apple.com"),
        ("http://Example.COM:80/a/./b/../c?x=1#f", "http://example.com/a/c?x=1#f"),
        ("https://a.com:443", "https://a.com/"),
        ("https://a.com:8443/", "https://a.com:8443/"),
        ("https://a.com:08443/", "https://a.com:8443/"),
        ("http://user:pw@H.com/p", "http://user:pw@h.com/p"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("http://[2001:DB8:0:0::1]/", "http://[2001:db8::1]/"),
        ("http://ñ.com/x", "http://xn--ida.com/x"),
        ("http://a.com/%2e%2E/x/..", "http://a.com/"),
        ("http://a.com/a/b/..", "http://a.com/a/"),
        ("http://a.com/a/./", "http://a.com/a/"),
        ("http://a.com/../../x", "http://a.com/x"),
        ("http://a.com?q", "http://a.com/?q"),
        ("http://a.com#h", "http://a.com/#h"),
        ("http://a.com/p?x=\\y#z\\", "http://a.com/p?x=\\y#z\\"),
        ("  http://a.com/  ", "http://a.com/"),
        ("http://a.com/x\t\ny", "http://a.com/xy"),
        ("http://a%2Ecom/", "http://a.com/"),
    ],
)
def test_normalize_http_url(url: str, expected: str) -> None:
    assert normalize_http_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://a b.com", "http://a.com:99999", "http://a.com:8o", "http://", "http://[::1", "http://[zz]/",
     "http://[::1]x/", "http://a<b/", "ftp://a.com/", "http://a%00b/"],
)
def test_normalize_http_url_refuses(url: str) -> None:
    with pytest.raises(ValueError):
        normalize_http_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/a b", "/a%20b"),
        ("/%20ok", "/%20ok"),
        ("/100%", "/100%25"),
        ("/%zz", "/%25zz"),
        ("/ü", "/%C3%BC"),
        ("/a?b=c&d=e#f", "/a?b=c&d=e#f"),
        ("/<x>", "/%3Cx%3E"),
        ("/[v6]:@!$&'()*+,;=", "/[v6]:@!$&'()*+,;="),
    ],
)
def test_encode_url(url: str, expected: str) -> None:
    assert encode_url(url) == expected


@pytest.mark.parametrize(
    ("current", "field", "expected"),
    [
        (None, "Accept", "Accept"),
        ("", "Accept", "Accept"),
        ("Accept", "accept", "Accept"),
        ("Accept", "Origin, Accept", "Accept, Origin"),
        ("Accept", ["Origin", "Cookie"], "Accept, Origin, Cookie"),
        ("*", "Origin", "*"),
        ("Accept", "*", "*"),
        ("Accept", " , ", "Accept"),
    ],
)
def test_merge_vary(current: str | None, field: str | list[str], expected: str) -> None:
    assert merge_vary(current, field) == expected


def test_check_name_and_value() -> None:
    assert check_name("X-Ok_1.2~") == "X-Ok_1.2~"
    assert check_value("X", 12) == "12"
    with pytest.raises(TypeError):
        check_name(12)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        check_value("X", "\x00")


@pytest.mark.parametrize(
    ("name", "mime"),
    [("png", "image/png"), (".png", "image/png"), ("a/b/c.PNG", "image/png"), ("C:\\x\\y.json", "application/json"),
     ("archive.tar.gz", "application/gzip"), ("a/b/c", None), ("file.", None), ("", None), ("nosuchext", None),
     ("page.html", "text/html"), ("toml", "application/toml")],
)
def test_mime_lookup(name: str, mime: str | None) -> None:
    assert _mime.lookup(name) == mime


@pytest.mark.parametrize(
    ("value", "content_type"),
    [("json", "application/json; charset=utf-8"), ("text/plain", "text/plain; charset=utf-8"),
     ("text/plain; charset=latin1", "text/plain; charset=latin1"), ("image/png", "image/png"),
     ("application/ld+json", "application/ld+json; charset=utf-8"), ("application/x-thing+json",
                                                                      "application/x-thing+json; charset=utf-8"),
     ("nosuchext", None)],
)
def test_mime_content_type(value: str, content_type: str | None) -> None:
    assert _mime.content_type(value) == content_type


@pytest.mark.parametrize(
    ("actual", "types", "expected"),
    [("text/html", (), "text/html"), ("text/html; charset=utf-8", ("html",), "html"),
     ("bogus", ("text/*",), False), ("a/b/c", ("*/*",), False), ("image/svg+xml", ("+xml",), "image/svg+xml"),
     ("application/json", ("+json",), False)],
)
def test_type_is(actual: str, types: tuple[str, ...], expected: object) -> None:
    assert _mime.type_is(actual, types) == expected
