import type { FastifyInstance } from 'fastify'

/** How long requests in flight get to finish after SIGTERM before the process gives up on them. */
const DRAIN_DEADLINE_MS = 25_000
/** While draining, how often connections whose requests have finished are closed. */
const IDLE_SWEEP_MS = 50

/**
 * Listens, then closes gracefully on SIGINT/SIGTERM: Fastify stops accepting, new requests on kept-alive connections
 * get 503 problem+json CORE_ERR_SHUTTING_DOWN with `connection: close` (readiness 503 not_ready, liveness still 200:
 * see createServer), requests in flight finish, and only then the process exits. A kept-alive connection whose
 * request finished is closed within IDLE_SWEEP_MS, so none holds the process open until its keep-alive timeout (a hook
 * adding `connection: close` to every response would cost every request of the server's life).
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
  try {
    await app.listen(listen)
  } catch (err) {
    // Nothing to drain: the caller reports the error (runService names the variable behind it).
    process.off('SIGINT', shutdown)
    process.off('SIGTERM', shutdown)
    throw err
  }
}
