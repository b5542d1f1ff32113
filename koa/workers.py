"""Gunicorn worker classes, short names: `gunicorn -k koa.workers.KoaWorker app:app`."""
from __future__ import annotations

from koa.transports.gunicorn_worker import KoaAiohttpWorker, KoaWorker

__all__ = ["KoaAiohttpWorker", "KoaWorker"]
