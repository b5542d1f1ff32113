"""The reference side of benchmarks/router.py: Falcon's CompiledRouter and sanic-routing.

Runs in benchmarks/.env (not koa's venv): `python _router_references.py REQUESTS.json`
prints {"falcon": {set: {category: ns}}, "sanic-routing": ..., "versions": "..."}.
Each router is checked to find the expected route for every request before it is timed.
"""
from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from typing import Any

from router import measure  # benchmarks/router.py: the same timing loop as koa's

PARAM = re.compile(r":(\w+)")


def grouped(routes: list[list[str]]) -> dict[str, dict[str, int]]:
    paths: dict[str, dict[str, int]] = defaultdict(dict)
    for index, (method, path) in enumerate(routes):
        paths[path][method] = index
    return paths


def falcon_lookup(routes: list[list[str]]) -> Any:
    from falcon.routing import CompiledRouter

    class Resource:
        def __init__(self, methods: dict[str, int]) -> None:
            self.indexes = methods
            for method in methods:
                setattr(self, "on_" + method.lower(), self.respond)

        def respond(self, req: Any, resp: Any) -> None:
            pass

    router = CompiledRouter()
    for path, methods in grouped(routes).items():
        router.add_route(PARAM.sub(r"{\1}", path), Resource(methods))
    find = router.find

    def lookup(path: str, method: str) -> int:
        found = find(path)
        if found is None:
            return -1
        return found[0].indexes.get(method, -2)  # type: ignore[no-any-return]

    return lookup


def sanic_lookup(routes: list[list[str]]) -> Any:
    from sanic_routing import BaseRouter
    from sanic_routing.exceptions import NoMethod, NotFound

    class Router(BaseRouter):  # type: ignore[misc]
        def get(self, path: str, method: str) -> Any:  # type: ignore[override]
            return self.resolve(path, method=method)

    router = Router()
    for path, methods in grouped(routes).items():
        for method, index in methods.items():
            router.add(PARAM.sub(r"<\1>", path), index, methods=[method])
    router.finalize()
    get = router.get

    def lookup(path: str, method: str) -> int:
        try:
            return get(path, method)[1]  # type: ignore[no-any-return]
        except (NotFound, NoMethod):
            return -1

    return lookup


def main() -> None:
    import falcon
    import sanic_routing

    with open(sys.argv[1]) as file:
        data = json.load(file)
    results: dict[str, Any] = {"versions": f"falcon {falcon.__version__}, sanic-routing {sanic_routing.__version__}"}
    for name, make in (("falcon", falcon_lookup), ("sanic-routing", sanic_lookup)):
        results[name] = {}
        for label, routes, requests in data["sets"]:
            lookup = make(routes)
            for _, method, path, expected in requests:
                got = lookup(path, method)
                assert got == expected, (name, label, method, path, got, expected)
            results[name][label] = measure(lookup, [tuple(request) for request in requests], data["budget"])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
