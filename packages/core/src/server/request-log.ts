import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { Logger } from 'pino'
import { truncate } from '../util/truncate.ts'

/** Longest path logged: a path is what the caller sent. */
const MAX_PATH = 1_000
/** A request slower than this is worth a line at info even when it succeeded. */
const SLOW_MS = 1_000

/**
 * One line per request, after it: at info when it failed or was slow, at debug otherwise, so monitoring that polls
 * status endpoints does not spend its time writing logs. The path is logged without its query string.
 */
export function logRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const level = reply.statusCode >= 400 || reply.elapsedTime > SLOW_MS ? 'info' : 'debug'
  // The line is built only when it will be written: most requests succeed fast and log nothing.
  // Every request's logger is a RequestLogger (request-logger.ts), which answers this without making its pino child.
  if ((request.log as unknown as Pick<Logger, 'isLevelEnabled'>).isLevelEnabled(level)) {
    request.log[level](
      {
        method: request.method,
        path: truncate(request.url.split('?')[0] ?? '', MAX_PATH),
        route: request.routeOptions.url ?? null,
        status_code: reply.statusCode,
        response_time_ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    )
  }
  done()
}
