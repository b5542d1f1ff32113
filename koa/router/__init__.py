"""@koa/router for koa: Router, its Layer (a route) and what router.match() returns."""
from __future__ import annotations

from koa.router._dispatch import Routes
from koa.router.layer import METHODS, Layer
from koa.router.router import DEFAULT_METHODS, Match, Router

__all__ = ["DEFAULT_METHODS", "METHODS", "Layer", "Match", "Router", "Routes"]
