import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { truncate } from '../util/truncate.ts'
import { invalidFields, sendProblem } from './error-handler.ts'

/** The most fields of an undeclared body or query named in the answer, and the longest name echoed. */
const MAX_NAMED = 5
const MAX_NAME = 64
const WITH_BODIES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

const isEmptyObject = (body: unknown) =>
  typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0

/** Refuses the request naming `keys` under `context` (the whole `context` when there are none) with `message`. */
function refuse(reply: FastifyReply, request: FastifyRequest, context: string, keys: string[], message: string) {
  const fields =
    keys.length === 0
      ? [{ path: context, message }]
      : keys.slice(0, MAX_NAMED).map((key) => ({ path: `${context}/${truncate(key, MAX_NAME)}`, message }))
  const more = keys.length > MAX_NAMED ? ` and ${keys.length - MAX_NAMED} more` : ''
  const detail = `Invalid ${fields.map((f) => f.path).join(', ')}${more}: ${message}`
  sendProblem(reply, request, CoreErrors.validation(detail, { cause: invalidFields(...fields) }))
}

/**
 * A route that declares no body takes none: one sent to it (anything but none or `{}`) is refused naming its fields,
 * as a strict body refuses unknown ones, instead of being ignored while the route acts (`{"ttl":"1s"}` to a rotate
 * that would rotate for its own TTL). Likewise a /v1 route that declares no query parameters refuses any, as routes
 * that declare some refuse unknown ones; health, metrics and the load balancers' check are left to what probes send.
 */
async function undeclaredInputPlugin(app: FastifyInstance) {
  app.addHook('preValidation', (request, reply, done) => {
    const schema = request.routeOptions.schema as { body?: unknown; querystring?: unknown; operationId?: string }
    const query = request.query as Record<string, unknown> | undefined
    const api = schema?.operationId !== undefined && (request.routeOptions.url ?? '').startsWith('/v1/')
    if (api && schema?.querystring === undefined && !isEmptyObject(query ?? {})) {
      return refuse(reply, request, 'querystring', Object.keys(query ?? {}), 'this route takes no query parameters')
    }
    const body = request.body
    if (!WITH_BODIES.has(request.method) || schema?.body !== undefined) return done()
    if (body === undefined || isEmptyObject(body)) return done()
    const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : []
    refuse(reply, request, 'body', keys, 'this route takes no body')
  })
}

export const undeclaredInput = fp(undeclaredInputPlugin, { name: 'core-undeclared-input' })
