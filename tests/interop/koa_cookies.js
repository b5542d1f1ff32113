// Koa.js side of tests/interop/test_koa_cookies.py.
//
//   node koa_cookies.js sign                       -> the Set-Cookie headers Koa writes
//   node koa_cookies.js read '<Cookie header>' n…  -> what Koa reads for each name (signed)
//
// Keys are ["k1", "k2"] unless KOA_KEYS (JSON) says otherwise. Prints one JSON object.
'use strict'

const http = require('http')
const Koa = require('koa')

const keys = process.env.KOA_KEYS ? JSON.parse(process.env.KOA_KEYS) : ['k1', 'k2']
const [mode, cookieHeader, ...names] = process.argv.slice(2)

const app = new Koa({ keys })
app.use(ctx => {
  if (mode === 'sign') {
    ctx.cookies.set('user', 'tobi', { signed: true })
    ctx.cookies.set('session', 'abc123=', { signed: true, path: '/app', sameSite: 'lax' })
    ctx.cookies.set('plain', 'value', { signed: false, httpOnly: false })
    ctx.cookies.set('gone', null, { signed: true })
    ctx.body = 'ok'
  } else if (mode === 'read') {
    const values = {}
    for (const name of names) values[name] = ctx.cookies.get(name, { signed: true }) ?? null
    ctx.body = values
  } else {
    ctx.throw(400, 'mode must be sign or read')
  }
})

const server = app.listen(0, '127.0.0.1', () => {
  const headers = cookieHeader ? { cookie: cookieHeader } : {}
  const req = http.get({ host: '127.0.0.1', port: server.address().port, path: '/', headers }, res => {
    let body = ''
    res.setEncoding('utf8')
    res.on('data', chunk => { body += chunk })
    res.on('end', () => {
      const out = { status: res.statusCode, setCookie: res.headers['set-cookie'] || [] }
      if (mode === 'read') out.values = JSON.parse(body)
      process.stdout.write(JSON.stringify(out) + '\n')
      server.close()
    })
  })
  req.on('error', err => { console.error(err); process.exit(1) })
})
