"""A short, bounded wrk run against `koa serve`: every response is a 200, no socket errors."""
from __future__ import annotations

import re
import shutil
import signal
import subprocess

import pytest

from server.test_cli import answers, koa_serve, wait_for

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")


@pytest.mark.parametrize("path", ["/", "/pipelined"])
def test_wrk_every_response_is_200(path: str, tmp_path: object) -> None:
    script = None
    if path == "/pipelined":  # wrk's pipelining: 8 requests per write
        script = f"{tmp_path}/pipeline.lua"
        with open(script, "w") as f:
            f.write('init = function(args)\n  local r = {}\n  for i = 1, 8 do r[i] = wrk.format(nil, "/") end\n'
                    '  req = table.concat(r)\nend\nrequest = function() return req end\n')
    with koa_serve("examples.hello:app", "--port", "0") as (proc, port):
        wait_for(lambda: answers(port))
        cmd = ["wrk", "-t1", "-c16", "-d1s", "--timeout", "2s", f"http://127.0.0.1:{port}/"]
        if script:
            cmd[1:1] = ["-s", script]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    assert total > 500, out
    assert "Non-2xx" not in out, out
    assert "Socket errors" not in out, out
