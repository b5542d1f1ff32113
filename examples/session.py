"""Sessions in a signed cookie (koa-session's format): a view counter.

    KOA_SESSION_KEY=secret koa serve examples.session:app --port 3000   (or: python examples/session.py)

    curl -c jar -b jar localhost:3000/        # 1 views, 2 views, ...
    curl -c jar -b jar localhost:3000/logout  # forget the session
"""
import os

from koa import Koa
from koa.middleware import session

app = Koa(keys=[os.environ.get("KOA_SESSION_KEY", "insecure development key: set KOA_SESSION_KEY")])
app.use(session(app, max_age=24 * 60 * 60))


async def views(ctx, next):
    if ctx.path == "/favicon.ico":
        return
    if ctx.path == "/logout":
        ctx.session = None
        ctx.body = "bye"
        return
    ctx.session.views = ctx.session.get("views", 0) + 1
    ctx.body = f"{ctx.session.views} views"


app.use(views)

if __name__ == "__main__":
    app.listen(3000)
