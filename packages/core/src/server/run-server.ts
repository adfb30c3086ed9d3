import type { FastifyInstance } from 'fastify'

/** How long requests in flight get to finish after SIGTERM before the process gives up on them. */
const DRAIN_DEADLINE_MS = 25_000

/**
 * Listens, then closes gracefully on SIGINT/SIGTERM: Fastify stops accepting, answers 503 to new requests on
 * kept-alive connections, lets requests in flight finish (their responses close the connection, so no kept-alive
 * socket holds the process open), and only then exits.
 */
export async function runServer(app: FastifyInstance, listen: { host: string; port: number }): Promise<void> {
  let closing = false
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const deadline = setTimeout(() => {
      app.log.error({ deadline_ms: DRAIN_DEADLINE_MS }, 'requests still in flight at the drain deadline; exiting')
      process.exit(1)
    }, DRAIN_DEADLINE_MS)
    deadline.unref()
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        app.log.error({ err }, 'error while shutting down')
        process.exit(1)
      })
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  await app.listen(listen)
}
