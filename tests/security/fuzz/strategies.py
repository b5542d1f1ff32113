"""Hypothesis strategies for hostile input: request heads and bodies, header values, forms, routes.

They lean towards the places parsers get wrong: framing headers and their lookalikes,
line endings other than CRLF, control bytes, quotes, percent-escapes, long digit runs,
and well-formed input with one thing off.
"""
from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

LATIN1 = st.characters(min_codepoint=0, max_codepoint=0xFF)
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
SPICE = ["\r", "\n", "\r\n", "\x00", "\t", " ", ",", ";", "=", '"', "\\", "%", "%0d%0a", "%00", "%2e", "%2f", "%c0%ae",
         "%ff", "..", "/", "\x7f", "\x0b", "\x0c", "\xe9", "0x", "+", "-", "9" * 30]


def spiced(alphabet: st.SearchStrategy[str] = PRINTABLE, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text mixing ordinary characters with the fragments parsers trip on."""
    pieces = st.one_of(st.text(alphabet, max_size=8), st.sampled_from(SPICE))
    return st.lists(pieces, max_size=max_size // 4).map("".join)


header_text = st.one_of(st.text(LATIN1, max_size=60), spiced(max_size=60))

# -- request heads ---------------------------------------------------------------------------------
# A request is drawn well formed, then 0-3 faults are applied: most examples get past the parser
# and reach the app, the rest probe the refusals.
METHODS = ["GET", "GET", "GET", "HEAD", "POST", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
BAD_METHODS = ["CONNECT", "PRI", "get", "G ET", "FOO", "TRACE", "M-SEARCH", ""]
BAD_VERSIONS = ["HTTP/2.0", "HTTP/0.9", "http/1.1", "HTTP/1.10", "HTTP/1", "", "HTTP/1.1 ", "HTTP/1.2", "HTTP/3"]
BAD_EOLS = ["\n", "\r", "\r\r\n", "\n\r"]
GOOD_VALUES = {
    "Content-Type": ["application/json", "multipart/form-data; boundary=x", "text/plain; charset=xx",
                     "application/x-www-form-urlencoded", "text/plain; charset=utf-8"],
    "Cookie": ["a=1", "a=1; b=2", "a=\"q\"; a.sig=x", "=; ;;", "a", "b=1; b.sig=zzz", "a=%ff"],
    "Accept": ["*/*", "text/html;q=0.5, application/json", "*/*;q=nan", "a/b;c=\"d,e\";q=1", "json"],
    "Accept-Encoding": ["gzip, br;q=0", "*", "identity;q=0", "x;q=2"],
    "Accept-Language": ["en-US,en;q=0.9", "*", "fr-;q=0.1", "-"],
    "Range": ["bytes=0-4", "bytes=-5", "bytes=5-", "bytes=1-0", "bytes=0-1,2-3", "bytes=" + "9" * 30 + "-"],
    "X-Forwarded-For": ["1.2.3.4, 5.6.7.8", "garbage", "::1", "", ", ,", "1.2.3.4:80"],
    "X-Forwarded-Host": ["evil.example", "a@b", "", "[::1]:8080", "x, y"],
    "X-Forwarded-Proto": ["https", "javascript", "", "HTTPS, http"],
    "If-None-Match": ["*", "\"x\"", "W/\"x\", \"y\""],
    "If-Modified-Since": ["Thu, 01 Jan 1970 00:00:00 GMT", "garbage", "Sun, 06 Nov 1994 08:49:37 GMT"],
    "Cache-Control": ["no-cache", "max-age=0"],
    "Origin": ["http://x", "null", ""],
    "Connection": ["keep-alive", "close", "Upgrade", ""],
    "Expect": ["100-continue"],
    "Upgrade": ["websocket", "h2c"],
}
BAD_VALUES = {
    "Host": ["", "a@b", "a b", "x\x00", "\xe9", "a/b"],
    "Content-Length": ["+5", "-1", "5,5", "0x5", "99999999999999999999", "", "5\x00", "1_0"],
    "Transfer-Encoding": ["xchunked", "chunked, identity", "gzip, chunked", "identity", "", "chunked,", "\"chunked\""],
    "Expect": ["200-ok", "100-Continue, x"],
}
BAD_NAMES = ["Transfer_Encoding", "Content-Length ", " Host", "X\x00Y", "X Y", "", "X:Y", "\xe9"]
token_text = st.text(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=12)
value_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40)
target_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"), max_size=30)
FAULTS = ["eol", "method", "version", "space", "header-name", "header-value", "framing", "host", "target", "obs-fold",
          "truncate"]


@st.composite
def requests(draw: Any) -> bytes:
    """One request: well formed, with 0-3 faults (FAULTS) applied."""
    faults = draw(st.lists(st.sampled_from(FAULTS), max_size=3, unique=True)) if draw(st.booleans()) else []
    eol = draw(st.sampled_from(BAD_EOLS)) if "eol" in faults else "\r\n"
    method = draw(st.sampled_from(BAD_METHODS if "method" in faults else METHODS))
    target = draw(st.one_of(
        st.sampled_from(["/", "/a?b=c&b=d", "/%zz", "/a%00b", "//x", "/a/../b", "/?" + "&" * 50, "/x?q=%ff", "*",
                         "http://x/y"]),
        target_text.map(lambda s: "/" + s),
    ))
    if "target" in faults:
        target = draw(st.sampled_from(["", "a", "/a b", "/a\x00", "/\xe9", "/a\r\nX: y", "/" + "a" * 20000]))
    sp = draw(st.sampled_from(["  ", "\t", " \t"])) if "space" in faults else " "
    version = draw(st.sampled_from(BAD_VERSIONS)) if "version" in faults else draw(
        st.sampled_from(["HTTP/1.1"] * 5 + ["HTTP/1.0"]))
    lines = [method + sp + target + (sp + version if version else "") + eol]
    if "host" in faults:
        lines += [f"Host: {v}{eol}" for v in draw(st.lists(st.sampled_from(BAD_VALUES["Host"] + ["x"]), max_size=2))]
    else:
        lines.append("Host: " + draw(st.sampled_from(["x", "localhost:8080", "[::1]:80", "a.b.c.example"])) + eol)
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.one_of(st.sampled_from(sorted(GOOD_VALUES)), token_text))
        values = GOOD_VALUES.get(name)
        value = draw(st.sampled_from(values)) if values and draw(st.booleans()) else draw(value_text)
        lines.append(f"{name}: {value}{eol}")
    if "header-name" in faults:
        lines.append(draw(st.sampled_from(BAD_NAMES)) + ": v" + eol)
    if "header-value" in faults:
        lines.append("X-Bad: " + draw(st.sampled_from(["a\x00b", "a\rb", "a\nb", "a\x01", "\x7f"])) + eol)
    if "obs-fold" in faults:
        lines.append("X-Fold: a" + eol + draw(st.sampled_from([" b", "\tb"])) + eol)
    framing, body = draw(bodies(eol, broken="framing" in faults))
    lines += framing
    raw = ("".join(lines) + eol + body).encode("latin-1")
    if "truncate" in faults:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@st.composite
def bodies(draw: Any, eol: str, broken: bool = False) -> tuple[list[str], str]:
    """(framing header lines, body): consistent, or (`broken`) inconsistent or malformed."""
    data = draw(st.text(PRINTABLE, max_size=30))
    if not broken:
        kind = draw(st.sampled_from(["none", "none", "length", "chunked"]))
        if kind == "none":
            return [], ""
        if kind == "length":
            return [f"Content-Length: {len(data)}{eol}"], data
        return [f"Transfer-Encoding: chunked{eol}"], _chunked(draw, data)
    kind = draw(st.sampled_from(["bad-length", "wrong-length", "bad-te", "bad-chunked", "both", "twice"]))
    if kind == "bad-length":
        return [f"Content-Length: {draw(st.sampled_from(BAD_VALUES['Content-Length']))}{eol}"], data
    if kind == "wrong-length":
        return [f"Content-Length: {max(len(data) + draw(st.integers(-5, 5)), 0)}{eol}"], data
    if kind == "bad-te":
        coding = draw(st.sampled_from(BAD_VALUES["Transfer-Encoding"]))
        return [f"Transfer-Encoding: {coding}{eol}"], _chunked(draw, data)
    body = _chunked(draw, data)
    if kind == "bad-chunked":
        body = draw(st.sampled_from([body.replace("\r\n", "\n", 1), body[:-2], "zz\r\n" + body, body + "\r\n",
                                     "0x1\r\na\r\n" + body, body.replace("0\r\n\r\n", "0\r\nX y\r\n\r\n"),
                                     "1;" + "e" * 5000 + "\r\na\r\n" + body, "ffffffffffffffffff\r\n" + body]))
        return [f"Transfer-Encoding: chunked{eol}"], body
    if kind == "both":
        return [f"Transfer-Encoding: chunked{eol}", f"Content-Length: {len(body)}{eol}"], body
    return [f"Transfer-Encoding: chunked{eol}"] * 2, body


def _chunked(draw: Any, data: str) -> str:
    chunks, pos = [], 0
    for size in draw(st.lists(st.integers(1, 8), max_size=4)):
        piece = data[pos: pos + size]
        pos += size
        if piece:
            size_text = draw(st.sampled_from([f"{len(piece):x}", f"{len(piece):X}", f"{len(piece):x};e=1",
                                              f'{len(piece):x};e="q;"']))
            chunks.append(f"{size_text}\r\n{piece}\r\n")
    trailer = draw(st.sampled_from(["", "", "X-T: 1\r\n"]))
    return "".join(chunks) + "0\r\n" + trailer + "\r\n"


@st.composite
def conversations(draw: Any) -> tuple[bytes, list[int]]:
    """One to three requests on a connection, and where the reads are cut."""
    data = b"".join(draw(st.lists(requests(), min_size=1, max_size=3)))
    cuts = draw(st.lists(st.integers(0, max(len(data) - 1, 0)), max_size=3))
    return data, cuts


# -- forms ------------------------------------------------------------------------------------------------
BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"
safe_names = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters='"\\\x7f'),
                     min_size=1, max_size=12)


@st.composite
def multipart_forms(draw: Any) -> tuple[str, list[bytes], list[tuple[str, str | None, bytes]] | None]:
    """(Content-Type, body chunks, the parts when the body is well formed, else None)."""
    boundary = draw(st.text(st.sampled_from(BCHARS), min_size=1, max_size=70))
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        filename = draw(st.none() | safe_names)
        # a field's value must be text (koa answers 400 to a field that is not UTF-8); a file's, any bytes
        content = draw(st.binary(max_size=200)) if filename is not None else draw(st.text(max_size=60)).encode()
        parts.append((draw(safe_names), filename, content))
    out = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: application/octet-stream\r\n"
        out.append(head.encode("utf-8") + b"\r\n" + content + b"\r\n")
    body = b"".join(out) + f"--{boundary}--\r\n".encode()
    mutation = draw(st.sampled_from(["none"] * 4 + ["truncate", "flip", "insert", "crlf-to-lf", "no-close",
                                                     "junk-boundary", "quote-boundary"]))
    content_type = f"multipart/form-data; boundary={boundary}"
    expected: list[tuple[str, str | None, bytes]] | None = parts
    if mutation != "none":
        expected = None
        if mutation == "truncate" and body:
            body = body[: draw(st.integers(0, len(body) - 1))]
        elif mutation == "flip" and body:
            i = draw(st.integers(0, len(body) - 1))
            body = body[:i] + bytes([body[i] ^ draw(st.integers(1, 255))]) + body[i + 1:]
        elif mutation == "insert":
            i = draw(st.integers(0, len(body)))
            body = body[:i] + draw(st.sampled_from([b"\r", b"\n", b"\r\n", b"--", b"\x00", b'"'])) + body[i:]
        elif mutation == "crlf-to-lf":
            body = body.replace(b"\r\n", b"\n")
        elif mutation == "no-close":
            body = body.replace(f"--{boundary}--".encode(), b"")
        elif mutation == "junk-boundary":
            content_type = "multipart/form-data; boundary=" + draw(header_text)
        elif mutation == "quote-boundary":
            content_type = f'multipart/form-data; boundary="{boundary}"; charset=utf-8'
            expected = parts
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
    chunks, start = [], 0
    for cut in cuts + [len(body)]:
        chunks.append(body[start:cut])
        start = cut
    return content_type, [c for c in chunks if c], expected


# -- routes -------------------------------------------------------------------------------------------------
ROUTE_PIECES = ["/", "/", "/", "a", "b", "users", ":id", ":name?", "*rest", ":n(\\d+)", ":x([a-z]+)", "(", ")",
                "?", "*", ":", "-", ".", "\\", "[", "]", "+", "{", "}", "%20", "%2F", "é", "::", ":(", ":a(b"]
route_patterns = st.lists(st.sampled_from(ROUTE_PIECES), min_size=1, max_size=8).map(lambda xs: "/" + "".join(xs))
request_paths = st.one_of(
    st.lists(st.sampled_from(["/", "a", "b", "users", "1", "42", "%", "%zz", "%ff", "%2F", "%c0%ae", "é", "..", ".",
                              "//", "x" * 50, "%00", "?q"]), max_size=8).map(lambda xs: "/" + "".join(xs)),
    spiced(max_size=40).map(lambda s: "/" + s),
)

__all__ = [
    "BCHARS", "LATIN1", "PRINTABLE", "conversations", "header_text", "multipart_forms", "request_paths", "requests",
    "route_patterns", "spiced",
]
