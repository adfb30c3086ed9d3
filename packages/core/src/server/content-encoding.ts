import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { sendProblem } from './error-handler.ts'

/** Codings that leave the body as it is: none named, or identity (any case, possibly listed more than once). */
const UNCODED = /^\s*(identity\s*(,\s*identity\s*)*)?$/i

/**
 * Bodies are read as they come: a body sent with a content coding (gzip, deflate, br…) is refused with 415 rather
 * than parsed as if it were plain (RFC 9110 §15.5.16), before it is read. Registered after the auth hook, so a caller
 * without the token learns nothing from it.
 */
async function contentEncodingPlugin(app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => {
    const coding = request.headers['content-encoding']
    if (coding === undefined || UNCODED.test(coding) || !hasBody(request.headers)) return done()
    reply.header('accept-encoding', 'identity')
    sendProblem(
      reply,
      request,
      CoreErrors.unsupportedMediaType('The body has a Content-Encoding other than identity; bodies are read uncoded.', {
        fix: 'Send the JSON body uncompressed, without a Content-Encoding header.',
      }),
    )
  })
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0'
}

export const contentEncoding = fp(contentEncodingPlugin, { name: 'core-content-encoding' })
