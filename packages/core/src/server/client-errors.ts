import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { CoreErrors } from '../core-errors.ts'
import { PROBLEM_CONTENT_TYPE } from '../problem.ts'
import { toProblem } from './error-handler.ts'

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser refused before any route saw it (a malformed request
 * line or header, a bad Content-Length, headers over the 16 KB limit) is answered with problem+json like every other
 * error, then the connection is closed. Nothing of the request is echoed: it could not be read as HTTP.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const coded =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? CoreErrors.headersTooLarge('The request line and headers are larger than 16 KB.')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? CoreErrors.requestTimeout('The request did not arrive whole in time.')
        : CoreErrors.badRequest(
            'The request could not be read as HTTP/1.1 (a malformed request line or header, or a bad Content-Length or Transfer-Encoding).',
          )
  const body = JSON.stringify(toProblem(coded, randomUUID()))
  // As Node's own handler: nothing is written over a response already under way on a kept-alive connection.
  const underWay = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true
  if (socket.writable && !underWay) {
    socket.write(
      `HTTP/1.1 ${coded.statusCode} ${STATUS_CODES[coded.statusCode]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
