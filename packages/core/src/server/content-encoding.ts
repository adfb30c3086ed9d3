import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { sendProblem } from './error-handler.ts'

/** Codings that leave the body as it is: none named, or identity (any case, possibly listed more than once). */
const UNCODED = /^\s*(identity\s*(,\s*identity\s*)*)?$/i

/**
 * Bodies are read as they come: a body sent with a content coding (gzip, deflate, br…) is refused with 415 rather
 * than parsed as if it were plain (RFC 9110 §15.5.16), before it is read. The check runs on the routes that take a
 * body only (status polls pay nothing for it), after the auth hook, so a caller without the token learns nothing.
 */
async function contentEncodingPlugin(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    if (![route.method].flat().some((method) => method !== 'GET' && method !== 'HEAD')) return
    route.preParsing = [refuseCodedBody, ...[route.preParsing ?? []].flat()]
  })
}

function refuseCodedBody(
  request: FastifyRequest,
  reply: FastifyReply,
  _payload: unknown,
  done: HookHandlerDoneFunction,
) {
  const coding = request.headers['content-encoding']
  if (coding === undefined || UNCODED.test(coding) || !hasBody(request.headers)) {
    done()
    return
  }
  reply.header('accept-encoding', 'identity')
  sendProblem(
    reply,
    request,
    CoreErrors.unsupportedMediaType('The body has a Content-Encoding other than identity; bodies are read uncoded.', {
      fix: 'Send the JSON body uncompressed, without a Content-Encoding header.',
    }),
  )
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0'
}

export const contentEncoding = fp(contentEncodingPlugin, { name: 'core-content-encoding' })
