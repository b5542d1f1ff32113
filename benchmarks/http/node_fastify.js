// Fastify: `node benchmarks/http/node_fastify.js PORT`.
'use strict'
const fastify = require('fastify')({ logger: false })
const { HELLO, MESSAGE, BIG, MIDDLEWARE, PORT, HOST, githubRoutes } = require('./_routes')

for (let i = 0; i < MIDDLEWARE; i++) fastify.addHook('onRequest', async () => {})

fastify.get('/', async () => HELLO)
fastify.get('/json', async () => MESSAGE)
fastify.get('/mw', async () => HELLO)
fastify.get('/64k', async (req, reply) => { reply.type('application/octet-stream'); return BIG })
fastify.post('/echo', async (req) => req.body)
for (const [method, url] of githubRoutes()) {
  const handler = url === '/users/:id'
    ? async (req) => 'user ' + req.params.id
    : async () => 'ok'
  fastify.route({ method, url, handler })
}

fastify.listen({ port: PORT, host: HOST, backlog: 2048 }).then(() => {
  console.log(`fastify: http://${HOST}:${PORT} node=${process.version}`)
})
const stop = () => fastify.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
