import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { vi } from 'vitest'

export interface Answer {
  status: number
  body?: unknown
}
export type Route = (request: { method: string; url: string; body: unknown }) => Answer

/**
 * A stand-in gateway on loopback: each "METHOD /path" answers from its route (an unknown one with 404), and every
 * request is recorded. `env` points the CLI at it.
 */
export async function startStandInGateway(routes: Record<string, Route>) {
  const seen: Array<{ method: string; url: string; body: unknown }> = []
  const server: Server = createServer(async (req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '', body: await jsonBody(req) }
    seen.push(request)
    const route = routes[`${request.method} ${request.url.split('?')[0]}`]
    const answer = route?.(request) ?? { status: 404, body: { code: 'STAND_IN_NO_ROUTE', detail: request.url } }
    const type = answer.status >= 400 ? 'application/problem+json' : 'application/json'
    res.writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': type })
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    seen,
    env: {
      VAULT_DR_GATEWAY_ADDR: `http://127.0.0.1:${port}`,
      VAULT_DR_API_TOKEN: 'gateway-token',
    } as NodeJS.ProcessEnv,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text === '' ? undefined : JSON.parse(text)
}

/** A problem+json as the gateway sends it. */
export function problem(status: number, code: string, detail: string, fix?: string): Answer {
  return {
    status,
    body: { type: 'about:blank', title: code, status, detail, code, instance: 'req-1', ...(fix ? { fix } : {}) },
  }
}

/** Captures stdout and stderr while a test runs (vi.restoreAllMocks in afterEach gives them back). */
export function capture() {
  const out: string[] = []
  const err: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0)
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0)
  return { out: () => out.join(''), err: () => err.join('') }
}
