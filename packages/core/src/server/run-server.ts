import type { FastifyInstance } from 'fastify'

/**
 * Listens, then closes gracefully on SIGINT/SIGTERM: Fastify stops accepting, answers 503 to new requests on
 * kept-alive connections, and waits for requests in flight before the process exits.
 */
export async function runServer(app: FastifyInstance, listen: { host: string; port: number }): Promise<void> {
  let closing = false
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
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
