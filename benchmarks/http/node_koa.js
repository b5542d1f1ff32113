// Koa.js + @koa/router + koa-bodyparser: `node benchmarks/http/node_koa.js PORT`.
'use strict'
const Koa = require('koa')
const Router = require('@koa/router')
const bodyParser = require('koa-bodyparser')
const { HELLO, MESSAGE, BIG, MIDDLEWARE, PORT, HOST, githubRoutes } = require('./_routes')

const app = new Koa()
for (let i = 0; i < MIDDLEWARE; i++) app.use(async (ctx, next) => { await next() })

const router = new Router()
router.get('/', (ctx) => { ctx.body = HELLO })
router.get('/json', (ctx) => { ctx.body = MESSAGE })
router.get('/mw', (ctx) => { ctx.body = HELLO })
router.get('/64k', (ctx) => { ctx.body = BIG })
router.post('/echo', bodyParser(), (ctx) => { ctx.body = ctx.request.body })
for (const [method, path] of githubRoutes()) {
  const handler = path === '/users/:id'
    ? (ctx) => { ctx.body = 'user ' + ctx.params.id }
    : (ctx) => { ctx.body = 'ok' }
  router.register(path, [method], handler)
}
app.use(router.routes()).use(router.allowedMethods())

const server = app.listen(PORT, HOST, 2048, () => console.log(`koa.js: http://${HOST}:${PORT} node=${process.version}`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
process.on('SIGINT', () => server.close(() => process.exit(0)))
