// The baseline of the monitoring and footprint benchmarks: a bare Fastify hello-world in plain JavaScript, so it
// loads nothing beyond Fastify (no TypeScript stripping either).
import Fastify from 'fastify'

const app = Fastify()
app.get('/', async () => ({ hello: 'world' }))
app.get('/readyz', async () => ({ status: 'ready' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0))
})
