import http from 'node:http'
import https from 'node:https'
import { goNetworkCause, timeoutError } from './go-errors.ts'

export interface UnwrapResult {
  status: number
  statusText: string
  body: unknown
}

/**
 * The secondary's one call to the primary's API. Like the Go client's `Logical().Unwrap` with no token of its own, it
 * sends the wrapping token as the client token and nothing in the body: the token authenticates its own unwrap.
 * Network failures reject with a Go-worded cause.
 */
export function postUnwrap(url: string, token: string, options: { caPem?: string | undefined; timeoutMs: number }) {
  const target = new URL(url)
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80))
  const host = target.hostname.replace(/^\[|\]$/g, '')
  return new Promise<UnwrapResult>((resolve, reject) => {
    const fail = (err: unknown) => reject(new Error(goNetworkCause(err, host, port)))
    const request = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        method: 'POST',
        headers: { 'x-vault-token': token, 'content-length': 0 },
        timeout: options.timeoutMs,
        agent: false,
        ...(options.caPem !== undefined && { ca: options.caPem }),
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', fail)
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown
          try {
            body = text ? JSON.parse(text) : undefined
          } catch {
            body = text
          }
          const status = response.statusCode ?? 0
          resolve({ status, statusText: response.statusMessage || http.STATUS_CODES[status] || '', body })
        })
      },
    )
    request.on('timeout', () => request.destroy(timeoutError('unwrap')))
    request.on('error', fail)
    request.end()
  })
}
