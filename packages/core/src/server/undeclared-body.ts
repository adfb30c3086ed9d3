import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { truncate } from '../util/truncate.ts'
import { invalidFields, sendProblem } from './error-handler.ts'

/** The most fields of an undeclared body named in the answer, and the longest name echoed. */
const MAX_NAMED = 5
const MAX_NAME = 64
const WITH_BODIES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

const isEmptyObject = (body: unknown) =>
  typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0

/**
 * A route that declares no body takes none: one sent to it (anything but none or `{}`) is refused naming its fields,
 * as a strict body refuses unknown ones, instead of being ignored while the route acts (`{"ttl":"1s"}` to a rotate
 * that would rotate for its own TTL).
 */
async function undeclaredBodyPlugin(app: FastifyInstance) {
  app.addHook('preValidation', (request, reply, done) => {
    const body = request.body
    if (!WITH_BODIES.has(request.method) || request.routeOptions.schema?.body !== undefined) return done()
    if (body === undefined || isEmptyObject(body)) return done()
    const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : []
    const message = 'this route takes no body'
    const fields =
      keys.length === 0
        ? [{ path: 'body', message }]
        : keys.slice(0, MAX_NAMED).map((key) => ({ path: `body/${truncate(key, MAX_NAME)}`, message }))
    const more = keys.length > MAX_NAMED ? ` and ${keys.length - MAX_NAMED} more` : ''
    const detail = `Invalid ${fields.map((f) => f.path).join(', ')}${more}: ${message}`
    sendProblem(reply, request, CoreErrors.validation(detail, { cause: invalidFields(...fields) }))
  })
}

export const undeclaredBody = fp(undeclaredBodyPlugin, { name: 'core-undeclared-body' })
