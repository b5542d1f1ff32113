"""The smallest koa app: `python examples/hello.py` or `koa serve examples.hello:app`."""
from koa import Koa

app = Koa()


async def hello(ctx, next):
    ctx.body = "Hello, World!"


app.use(hello)

if __name__ == "__main__":
    app.listen(3000)
