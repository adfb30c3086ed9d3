import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { components } from '@vault-dr/gateway/openapi'

export type Operation = components['schemas']['Operation']
type Step = Operation['steps'][number]
const AT = '2026-12-04T10:00:00.000Z'

export function opStep(name: string, status: Step['status'], detail: string | null = null): Step {
  const done = status === 'succeeded' || status === 'failed'
  return {
    name,
    status,
    started_at: status === 'pending' ? null : AT,
    finished_at: done ? AT : null,
    detail,
    error: null,
  }
}

export function operation(extra: Partial<Operation> = {}): Operation {
  return {
    id: 'op-1',
    kind: 'switchover',
    state: 'pending',
    clusters: ['dc1', 'dc2'],
    subject: { from: 'dc1', to: 'dc2', pre_hook_url: null, post_hook_url: null, catch_up_timeout: '60s' },
    result: null,
    steps: ['preflight', 'demote_primary', 'promote_secondary'].map((n) => opStep(n, 'pending')),
    error: null,
    cancel_requested: false,
    past_point_of_no_return: false,
    created_at: AT,
    updated_at: AT,
    finished_at: null,
    ...extra,
  }
}

export interface Seen {
  method: string
  url: string
  body: unknown
  lastEventId: string | undefined
  idempotencyKey: string | undefined
}
export type RawRoute = (req: Seen, res: ServerResponse) => void

/** A stand-in gateway whose routes write their own answers, so a route can stream server-sent events. */
export async function startRawGateway(routes: Record<string, RawRoute>) {
  const seen: Seen[] = []
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = ''
    for await (const chunk of req) text += chunk
    const header = req.headers['last-event-id']
    const key = req.headers['idempotency-key']
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      body: text === '' ? undefined : JSON.parse(text),
      lastEventId: Array.isArray(header) ? header[0] : header,
      idempotencyKey: Array.isArray(key) ? key[0] : key,
    }
    seen.push(request)
    const route = routes[`${request.method} ${request.url.split('?')[0]}`]
    if (route === undefined) json(res, 404, { code: 'STAND_IN_NO_ROUTE', detail: request.url })
    else route(request, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    seen,
    env: {
      VAULT_DR_GATEWAY_ADDR: `http://127.0.0.1:${port}`,
      VAULT_DR_API_TOKEN: 'gateway-token',
    } as NodeJS.ProcessEnv,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' })
  res.end(JSON.stringify(body))
}

/** Writes server-sent events as the gateway does: `id:` when it has one, `event:`, one `data:` line. */
export function sse(res: ServerResponse, events: Array<{ id?: number; event: string; data: unknown }>, end: boolean) {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
  for (const e of events) {
    res.write(`${e.id === undefined ? '' : `id: ${e.id}\n`}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
  }
  if (end) res.end()
}
