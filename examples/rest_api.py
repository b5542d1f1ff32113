"""A small JSON API: Router + body_parser + errors + cors.

    koa serve examples.rest_api:app --port 3000      (or: python examples/rest_api.py)

    curl localhost:3000/api/todos
    curl -X POST -H "Content-Type: application/json" -d '{"title": "write docs"}' localhost:3000/api/todos
    curl -X PATCH -H "Content-Type: application/json" -d '{"done": true}' localhost:3000/api/todos/1
    curl -X DELETE localhost:3000/api/todos/1
"""
import itertools

from koa import HttpError, Koa, Router
from koa.middleware import body_parser, cors, logger


async def json_errors(ctx, next):
    """Every error as JSON: `{"error": message}`; unexpected ones are logged, never shown."""
    try:
        await next()
        if ctx.status == 404 and ctx.body is None:
            ctx.throw(404, f"no route for {ctx.method} {ctx.path}")
    except Exception as err:  # noqa: BLE001 - every error becomes a JSON response
        status = getattr(err, "status", 500)
        exposed = getattr(err, "expose", False)
        ctx.status = status if isinstance(status, int) and 400 <= status <= 599 else 500
        ctx.body = {"error": str(err) if exposed else "Internal Server Error"}
        ctx.set(getattr(err, "headers", None) or {})
        if not exposed:
            ctx.app.emit("error", err, ctx)


class Todos:
    """The data, kept in memory."""

    def __init__(self):
        self.items = {}
        self.ids = itertools.count(1)

    def add(self, title, done):
        todo = {"id": next(self.ids), "title": title, "done": done}
        self.items[todo["id"]] = todo
        return todo

    def get(self, todo_id):
        todo = self.items.get(int(todo_id))
        if todo is None:
            raise HttpError(404, f"todo {todo_id} not found")
        return todo

    def remove(self, todo_id):
        del self.items[self.get(todo_id)["id"]]


def check_todo(body, *, partial):
    if not isinstance(body, dict):
        raise HttpError(422, "send a JSON object")
    unknown = set(body) - {"title", "done"}
    if unknown:
        raise HttpError(422, f"unknown fields: {', '.join(sorted(unknown))}")
    if "title" in body or not partial:
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise HttpError(422, "title must be a non-empty string")
    if "done" in body and not isinstance(body["done"], bool):
        raise HttpError(422, "done must be true or false")
    return body


def create_app():
    app = Koa()
    todos = Todos()
    router = Router(prefix="/api")

    @router.get("/todos")
    async def list_todos(ctx, next):
        items = list(todos.items.values())
        done = ctx.query.get("done")
        if done in ("true", "false"):
            items = [t for t in items if t["done"] == (done == "true")]
        ctx.body = items

    @router.post("/todos")
    async def create_todo(ctx, next):
        body = check_todo(ctx.request.body, partial=False)
        todo = todos.add(body["title"].strip(), body.get("done", False))
        ctx.status = 201
        ctx.set("Location", router.url("todo", {"id": todo["id"]}))
        ctx.body = todo

    @router.get("todo", r"/todos/:id(\d+)")
    async def show_todo(ctx, next):
        ctx.body = todos.get(ctx.params["id"])

    @router.patch(r"/todos/:id(\d+)")
    async def update_todo(ctx, next):
        todo = todos.get(ctx.params["id"])
        todo.update(check_todo(ctx.request.body, partial=True))
        ctx.body = todo

    @router.delete(r"/todos/:id(\d+)")
    async def delete_todo(ctx, next):
        todos.remove(ctx.params["id"])
        ctx.status = 204

    app.use(logger())
    app.use(cors(expose_headers=["Location"], max_age=600))
    app.use(json_errors)
    app.use(body_parser())
    app.use(router.routes())
    app.use(router.allowed_methods(throw=True))
    return app


app = create_app()

if __name__ == "__main__":
    app.listen(3000)
