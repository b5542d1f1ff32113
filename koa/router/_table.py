"""Builds a router's lookup table: one Tree per method, whose leaves hold ready-made chains.

Everything a request needs is decided here, once: which routes share a leaf (the same
pattern registered twice runs both, in order), which router middleware runs before them
(by scope and path; a path that only sometimes covers the route gets a runtime guard),
and where router.param() hooks go (before the first layer that has the parameter).
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from koa._speedups import Dispatcher, Tree
from koa._speedups._tree_py import decode
from koa.router._dispatch import Endpoint
from koa.router.layer import Handler, Layer
from koa.router.pattern import Shape, Variant

if TYPE_CHECKING:
    from koa.context import Context
    from koa.types import Next

ParamFn = Callable[[Any, "Context", "Next"], Any]

_ALWAYS, _SOMETIMES, _NEVER = 0, 1, 2


class ParamHook:
    """router.param(name, fn) as middleware: `fn(ctx.params[name], ctx, next)`."""

    __slots__ = ("name", "fn", "seq")
    _koa_async_middleware = True

    def __init__(self, name: str, fn: ParamFn, seq: int) -> None:
        self.name = name
        self.fn = fn
        self.seq = seq

    async def __call__(self, ctx: Context, next: Next) -> Any:  # noqa: A002
        result = self.fn(ctx.params.get(self.name), ctx, next)
        if isinstance(result, Awaitable):
            return await result
        return result


class Guarded:
    """Router middleware whose path covers a route only for some requests: checked per request."""

    __slots__ = ("tree", "regex", "middleware")
    _koa_async_middleware = True

    def __init__(self, tree: Tree[bool] | None, regex: re.Pattern[str] | None, middleware: Handler) -> None:
        self.tree = tree
        self.regex = regex
        self.middleware = middleware

    def __call__(self, ctx: Context, next: Next) -> Awaitable[Any]:  # noqa: A002
        if self.tree is not None:
            found = self.tree.match(ctx.path)
            if found is None:
                return next()
            params = ctx.params
            for key, value in found[1].items():
                params.setdefault(key, value)
        elif self.regex is not None and self.regex.search(ctx.path) is None:
            return next()
        return self.middleware(ctx, next)


def build(
    layers: Sequence[Layer], sensitive: bool, params: dict[str, list[ParamHook]]
) -> dict[str, Tree[Endpoint]]:
    """One tree per method, from a router's flattened layers (in stack order) and param hooks."""
    groups: dict[str, dict[Shape, list[tuple[int, Layer, Variant]]]] = {}
    uses: list[tuple[int, Layer]] = []
    for index, layer in enumerate(layers):
        if not layer.is_route:
            uses.append((index, layer))
            continue
        assert layer.pattern is not None
        for variant in layer.pattern.variants:
            for method in layer.methods:
                groups.setdefault(method, {}).setdefault(variant.shape, []).append((index, layer, variant))
    chains: dict[tuple[Shape, tuple[int, ...]], Handler] = {}
    guards: dict[int, Tree[bool]] = {}
    trees: dict[str, Tree[Endpoint]] = {}
    for method, shapes in groups.items():
        tree: Tree[Endpoint] = Tree(sensitive)
        for shape, members in shapes.items():
            if method == "HEAD":  # an explicit HEAD route wins over the HEAD implied by GET
                members = [member for member in members if not member[1].implied_head] or members
            key = (shape, tuple(index for index, _, _ in members))
            handler = chains.get(key)
            if handler is None:
                handler = chains[key] = _chain(members, uses, params, guards)
            index, first, variant = members[0]
            endpoint = Endpoint(handler, first, (index, first.methods.index(method)))
            tree.add(variant.segments, variant.names, endpoint, first)  # find() reports `first`
        trees[method] = tree
    return trees


def _chain(
    members: list[tuple[int, Layer, Variant]],
    uses: list[tuple[int, Layer]],
    params: dict[str, list[ParamHook]],
    guards: dict[int, Tree[bool]],
) -> Handler:
    variant = members[0][2]
    # (stack index, layer, guard): guard is None when the layer always runs
    items: list[tuple[int, Layer, tuple[Tree[bool] | None, re.Pattern[str] | None] | None]] = [
        (index, layer, None) for index, layer, _ in members
    ]
    tokens = {token for _, layer, _ in members for token in layer.tokens}
    for index, use in uses:
        if use.scope is not None and use.scope not in tokens:
            continue
        if use.regex is not None:
            items.append((index, use, (None, use.regex)))
            continue
        cover = _ALWAYS if use.pattern is None else _covers(use, variant)
        if cover == _ALWAYS:
            items.append((index, use, None))
        elif cover == _SOMETIMES:
            tree = guards.get(index)
            if tree is None:
                tree = guards[index] = _guard_tree(use)
            items.append((index, use, (tree, None)))
    items.sort(key=lambda item: item[0])
    chain: list[Handler] = []
    seen: set[int] = set()
    for _, layer, guard in items:
        if guard is not None:
            chain.extend(Guarded(*guard, middleware) for middleware in layer.stack)
            continue
        names = variant.names if layer.is_route else layer.param_names
        for hook in _hooks(layer, names, params):
            if id(hook.fn) not in seen:
                seen.add(id(hook.fn))
                chain.append(hook)
        chain.extend(layer.stack)
    if len(chain) == 1:
        return chain[0]  # perf: a route's only middleware gets the router's `next` directly
    return Dispatcher(tuple(chain))


def _hooks(layer: Layer, names: tuple[str, ...], params: dict[str, list[ParamHook]]) -> list[ParamHook]:
    """The hooks for `names`, in URL order, then in the order router.param() was called."""
    if not names:
        return []
    hooks = [*layer.inherited, *(hook for name in names for hook in params.get(name, ()))]
    position = {name: index for index, name in enumerate(names)}
    return sorted((hook for hook in hooks if hook.name in position), key=lambda hook: (position[hook.name], hook.seq))


def _covers(use: Layer, route: Variant) -> int:
    """Whether router middleware with a path runs for every request of `route`, some, or none."""
    assert use.pattern is not None
    if use.end:
        return _ALWAYS if any(variant.shape == route.shape for variant in use.pattern.variants) else _NEVER
    return min(_prefix_covers(variant, route) for variant in use.pattern.variants)


def _prefix_covers(use: Variant, route: Variant) -> int:
    if len(use.segments) > len(route.segments) and route.segments[-1] is not ...:
        return _NEVER
    result = _ALWAYS
    for index, segment in enumerate(use.segments):
        if index >= len(route.segments) or route.segments[index] is ...:
            return _SOMETIMES  # the route's catch-all may or may not hold the rest
        other = route.segments[index]
        if isinstance(segment, str):
            if isinstance(other, str):
                if use.shape[index] != route.shape[index]:
                    return _NEVER
            else:
                result = _SOMETIMES
        elif other == "":
            return _NEVER
        elif isinstance(other, str) and isinstance(segment, re.Pattern):
            if segment.fullmatch(decode(other)) is None:
                return _NEVER
            result = _SOMETIMES  # it matches, but its parameters are not the route's
        elif use.shape[index] != route.shape[index] or use.segment_names[index] != route.segment_names[index]:
            result = _SOMETIMES
    return result


def _guard_tree(use: Layer) -> Tree[bool]:
    assert use.pattern is not None
    tree: Tree[bool] = Tree(use.sensitive)
    added: set[tuple[object, ...]] = set()
    for variant in use.pattern.variants:
        forms = [variant.segments]
        if variant.segments[-1] not in ("", ...):
            forms.append((*variant.segments, ...))  # under the path: the rest, unnamed
        for segments in forms:
            shape = tuple(("re", s.pattern) if isinstance(s, re.Pattern) else s for s in segments)
            if shape not in added:
                added.add(shape)
                tree.add(segments, variant.names, True)
    return tree
