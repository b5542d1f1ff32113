"""Server-sent events from an async generator (compressed on the fly for clients that accept it).

    koa serve examples.streaming:app --port 3000     (or: python examples/streaming.py)

Open http://localhost:3000/ in a browser, or `curl -N localhost:3000/events?count=5`.
When the client goes away, the generator is closed (its `finally` runs).
"""
import asyncio
import json
import time

from koa import Koa, Router
from koa.middleware import compress, logger

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>koa: server-sent events</title>
<ul id="ticks"></ul>
<script>
  const source = new EventSource("/events?count=20");
  source.addEventListener("tick", (e) => {
    const li = document.createElement("li");
    li.textContent = e.data;
    document.getElementById("ticks").append(li);
  });
  source.addEventListener("end", () => source.close());
</script>
"""


def create_app():
    app = Koa()
    router = Router()
    app.open_streams = 0  # how many event streams are being sent right now

    @router.get("/")
    async def index(ctx, next):
        ctx.body = PAGE

    @router.get("/events")
    async def events(ctx, next):
        count = ctx.query.get("count", "10")
        count = min(int(count), 1000) if count.isdigit() else 10
        try:
            interval = min(max(float(ctx.query.get("interval", "1")), 0.0), 60.0)
        except ValueError:
            interval = 1.0

        async def stream():
            app.open_streams += 1
            try:
                yield "retry: 2000\n\n"
                for i in range(count):
                    data = json.dumps({"n": i, "time": time.time()})
                    yield f"id: {i}\nevent: tick\ndata: {data}\n\n"
                    await asyncio.sleep(interval)
                yield "event: end\ndata: bye\n\n"
            finally:
                app.open_streams -= 1

        ctx.type = "text/event-stream"
        ctx.set("Cache-Control", "no-cache")
        ctx.set("X-Accel-Buffering", "no")  # nginx: do not buffer the stream
        ctx.body = stream()

    app.use(logger())
    app.use(compress())
    app.use(router.routes())
    return app


app = create_app()

if __name__ == "__main__":
    app.listen(3000)
