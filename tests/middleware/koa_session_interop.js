// koa-session's side of tests/middleware/test_session.py (needs koa and koa-session 7 on NODE_PATH).
//
//   node koa_session_interop.js write            -> the Set-Cookie headers koa-session writes
//   node koa_session_interop.js read '<Cookie>'  -> the session koa-session reads from that Cookie header
//
// Keys are ["k1", "k2"]; MAX_AGE (ms) sets maxAge. Prints one JSON object.
'use strict'

const http = require('http')
const Koa = require('koa')
const mod = require('koa-session')
const session = mod.default || mod.createSession || mod
const [mode, cookieHeader] = process.argv.slice(2)
const app = new Koa()
app.keys = ['k1', 'k2']
app.use(session({ maxAge: Number(process.env.MAX_AGE || 86400000) }, app))
app.use(ctx => {
  if (mode === 'write') { ctx.session.user = 'tobi'; ctx.session.n = 1; ctx.session.uni = 'é☃'; ctx.body = 'ok' }
  else { ctx.body = { isNew: ctx.session.isNew, data: ctx.session.toJSON() } }
})
const server = app.listen(0, '127.0.0.1', () => {
  const headers = cookieHeader ? { cookie: cookieHeader } : {}
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/', headers }, res => {
    let body = ''; res.setEncoding('utf8'); res.on('data', c => { body += c })
    res.on('end', () => { process.stdout.write(JSON.stringify({ setCookie: res.headers['set-cookie'] || [], body }) + '\n'); server.close() })
  })
})
