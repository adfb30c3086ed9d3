import type { FastifyInstance } from 'fastify'

/** How long requests in flight get to finish after SIGTERM before the process gives up on them. */
const DRAIN_DEADLINE_MS = 25_000
/** While draining, how often connections whose requests have finished are closed. */
const IDLE_SWEEP_MS = 50

/**
 * Listens, then closes gracefully on SIGINT/SIGTERM: Fastify stops accepting, answers 503 to new requests on
 * kept-alive connections, lets requests in flight finish, and only then exits. A kept-alive connection whose request
 * finished is closed within IDLE_SWEEP_MS, so none holds the process open until its keep-alive timeout (a hook adding
 * `connection: close` to every response would cost every request of the server's life).
 */
export async function runServer(app: FastifyInstance, listen: { host: string; port: number }): Promise<void> {
  let closing = false
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS).unref()
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
