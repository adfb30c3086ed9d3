import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { CoreErrors } from '../core-errors.ts'
import type { CodedError } from '../errors.ts'
import { truncate } from '../util/truncate.ts'
import { refuseWithoutToken, underV1 } from './auth.ts'
import { invalidFields, sendProblem, toCodedError } from './error-handler.ts'

/** Fastify's longest path parameter (its maxParamLength, left at the default). */
const MAX_PARAM_LENGTH = 100
/** Longest path echoed in an answer or a log line. */
const MAX_PATH = 200

/**
 * The answer to a URL the router cannot take (Fastify's frameworkErrors, met before routing and before any hook): a
 * malformed percent-encoding, or a path parameter over MAX_PARAM_LENGTH. Under /v1 a caller without the token gets
 * 401 and nothing more, as from the auth hook. The answer and the log line name the path, never the query string (it
 * may hold a token), and an over-long parameter by its name.
 */
export function urlErrorHandler(allows: (authorization: string | undefined) => boolean) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const path = pathOf(request.url)
    const coded =
      underV1(path) && !allows(request.headers.authorization) ? refuseWithoutToken() : urlError(error, path, request)
    request.log.info({ code: coded.code, status: coded.statusCode, path: truncate(path, MAX_PATH) }, coded.message)
    sendProblem(reply, request, coded)
  }
}

function urlError(error: FastifyError, path: string, request: FastifyRequest): CodedError {
  const shown = truncate(path, MAX_PATH)
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return CoreErrors.badRequest(`The path ${shown} is not a valid URL path: a malformed percent-encoding`)
    case 'FST_ERR_MAX_PARAM_LENGTH': {
      const names = overLongParams(request, path)
      if (names.length === 0) {
        return CoreErrors.badRequest(`A segment of the path ${shown} is longer than ${MAX_PARAM_LENGTH} characters`)
      }
      const message = `Too long: at most ${MAX_PARAM_LENGTH} characters`
      const fields = names.map((name) => ({ path: `params/${name}`, message }))
      return CoreErrors.validation(`Invalid ${fields.map((f) => f.path).join(', ')}: ${message}`, {
        cause: invalidFields(...fields),
      })
    }
    default:
      return toCodedError(error)
  }
}

/** The path of a request URL, without query or fragment (and without scheme and host, for an absolute-form one). */
function pathOf(url: string): string {
  const path = (url.split(/[?#]/, 1)[0] ?? '').replace(/^[a-z][a-z\d+.-]*:\/\/[^/]*/i, '')
  return path === '' ? '/' : path
}

/** The names of the route's parameters given over-long values: the route is found again with short stand-ins. */
function overLongParams(request: FastifyRequest, path: string): string[] {
  const standIn = (i: number) => `~${i}~`
  const probe = path
    .split('/')
    .map((segment, i) => (segment.length > MAX_PARAM_LENGTH ? standIn(i) : segment))
    .join('/')
  const route = request.server.findRoute({ method: request.method as 'GET', url: probe })
  const params = (route?.params ?? {}) as Record<string, string | undefined>
  return Object.keys(params).filter((name) => /^~\d+~$/.test(params[name] ?? ''))
}
