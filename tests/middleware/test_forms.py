"""ctx.request.form() (koa._forms): urlencoded and multipart bodies as a MultiDict."""
from __future__ import annotations

from typing import Any

import pytest

from koa import Koa
from koa._forms import FormLimits, UploadFile


def form_app(**form_options: Any) -> Koa:
    app = Koa()

    async def handler(ctx: Any, next: Any) -> None:
        form = await ctx.request.form(**form_options)
        out: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, UploadFile):
                out.setdefault(key, []).append([value.filename, value.size, (await value.read()).decode()])
                await value.close()
            else:
                out.setdefault(key, []).append(value)
        ctx.body = out

    app.use(handler)
    return app


async def test_urlencoded(fetch: Any) -> None:
    r = await fetch(form_app(), "POST", "/", data={"a": ["1", "2"], "b": "ü"})
    assert r.json() == {"a": ["1", "2"], "b": ["ü"]}


async def test_multipart_in_order(fetch: Any) -> None:
    r = await fetch(form_app(), "POST", "/", data={"a": "1"},
                    files=[("f", ("one.txt", b"111")), ("f", ("two.txt", b"2222"))])
    assert r.json() == {"a": ["1"], "f": [["one.txt", 3, "111"], ["two.txt", 4, "2222"]]}


async def test_utf8_names_and_charset_field(fetch: Any) -> None:
    body = ("--B\r\nContent-Disposition: form-data; name=\"_charset_\"\r\n\r\niso-8859-1\r\n"
            "--B\r\nContent-Disposition: form-data; name=\"näme\"\r\n\r\n").encode() + "é".encode("latin-1") + \
        b"\r\n--B--\r\n"
    r = await fetch(form_app(), "POST", "/", content=body, headers={"content-type": "multipart/form-data; boundary=B"})
    assert r.json() == {"_charset_": ["iso-8859-1"], "näme": ["é"]}


async def test_not_a_form_is_415(fetch: Any) -> None:
    r = await fetch(form_app(), "POST", "/", json={"a": 1})
    assert r.status_code == 415
    assert "application/x-www-form-urlencoded" in r.text


async def test_no_body_is_an_empty_form(fetch: Any) -> None:
    assert (await fetch(form_app(), "POST", "/")).json() == {}


async def test_limit_is_app_max_body_size_or_given(fetch: Any) -> None:
    app = form_app()
    app.max_body_size = 100
    r = await fetch(app, "POST", "/", files={"f": ("a", b"x" * 200)})
    assert r.status_code == 413
    r = await fetch(form_app(limit=1000), "POST", "/", files={"f": ("a", b"x" * 200)})
    assert r.status_code == 200


def test_limits_are_checked(tmp_path: Any) -> None:
    with pytest.raises(ValueError):
        FormLimits(total=-1)
    with pytest.raises(ValueError):
        FormLimits(total=10, file_size=-5)
    with pytest.raises(ValueError):
        FormLimits(total=10, upload_dir=str(tmp_path / "missing"))
    assert FormLimits(total=10, upload_dir=str(tmp_path)).upload_dir == str(tmp_path)
