// The GitHub route set for the Node servers; same renaming as _common.py (/users/:user -> /users/:id).
'use strict'
const fs = require('node:fs')
const path = require('node:path')

exports.HELLO = 'Hello, World!'
exports.MESSAGE = { message: 'Hello, World!' }
exports.BIG = Buffer.alloc(65536, 'x')
exports.MIDDLEWARE = parseInt(process.env.BENCH_MIDDLEWARE || '0', 10)
exports.PORT = parseInt(process.argv[2] || process.env.PORT || '8080', 10)
exports.HOST = '127.0.0.1'

exports.githubRoutes = function githubRoutes () {
  const text = fs.readFileSync(path.join(__dirname, 'github_routes.txt'), 'ascii')
  const routes = []
  for (let line of text.split('\n')) {
    line = line.trim()
    if (!line || line.startsWith('#')) continue
    let [method, p] = line.split(/\s+/)
    if (p === '/users/:user' || p.startsWith('/users/:user/')) p = '/users/:id' + p.slice('/users/:user'.length)
    routes.push([method, p])
  }
  return routes
}
