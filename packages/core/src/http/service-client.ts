import createClient, { type Client } from 'openapi-fetch'
import { Agent, type Dispatcher, request, Request as UndiciRequest, Response as UndiciResponse } from 'undici'

export interface ServiceClientOptions {
  /** The service's origin, e.g. http://127.0.0.1:8410. */
  baseUrl: string
  /** Sent as `Authorization: Bearer <token>`; kept in a closure, never in an error or a log. */
  token: string
  /** CA that signed the service's TLS certificate, when it is not in the system roots. */
  caPem?: string | undefined
  /** Deadline of every call, on top of its own signal (also the connect, headers and body idle timeouts). */
  timeoutMs?: number
  /**
   * false: calls bring their own deadline in their signal (and clear it when done), so none is added per call; the
   * connect, headers and body idle timeouts of timeoutMs still bound a silent service.
   */
  deadlinePerCall?: boolean
}

export interface ServiceClient<Paths extends object> {
  api: Client<Paths>
  /** Closes the connection pool; the client cannot be used afterwards. */
  close(): Promise<void>
}

/**
 * A typed client of another vault-dr service, from that service's committed OpenAPI `paths` types.
 * openapi-fetch builds undici Requests and reads undici Responses; in between, the call goes through undici's
 * `request` rather than its `fetch`, whose WHATWG machinery (streams, fetch controller, timing) cost a gateway driving
 * a fleet more CPU than the rest of each call. Every call has a deadline: its own `signal` (combined with the default
 * deadline), or `timeoutMs`.
 */
export function createServiceClient<Paths extends object>(opts: ServiceClientOptions): ServiceClient<Paths> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const dispatcher = new Agent({
    connect: { ...(opts.caPem === undefined ? {} : { ca: opts.caPem }), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 4_000,
  })
  const api = createClient<Paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${opts.token}`, accept: 'application/json, application/problem+json' },
    Request: UndiciRequest as unknown as typeof Request,
    fetch: (req: Request) => {
      const signal =
        opts.deadlinePerCall === false ? req.signal : AbortSignal.any([req.signal, AbortSignal.timeout(timeoutMs)])
      return send(req, dispatcher, signal) as unknown as Promise<Response>
    },
  })
  return { api, close: () => dispatcher.close() }
}

/** Statuses whose response has no body (a Response refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

async function send(req: Request, dispatcher: Dispatcher, signal: AbortSignal): Promise<UndiciResponse> {
  const res = await request(req.url, {
    method: req.method as Dispatcher.HttpMethod,
    headers: Object.fromEntries(req.headers),
    body: req.body === null ? null : Buffer.from(await req.arrayBuffer()),
    dispatcher,
    signal,
  })
  const body = await res.body.arrayBuffer()
  const headers: Array<[string, string]> = []
  for (const [name, value] of Object.entries(res.headers)) {
    for (const one of Array.isArray(value) ? value : [value ?? '']) headers.push([name, one])
  }
  return new UndiciResponse(NULL_BODY.has(res.statusCode) ? null : body, { status: res.statusCode, headers })
}
