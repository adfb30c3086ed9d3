import { setTimeout as sleep } from 'node:timers/promises'
import type { CodedError } from '../errors.ts'
import { classifyNetworkError } from '../probes/classify-network-error.ts'
import { withDeadline } from '../util/deadline.ts'
import { classifyVaultError } from './classify-vault-error.ts'
import { VaultEnvelope, VaultErrorBody } from './envelopes.ts'
import { VaultErrors } from './vault-errors.ts'
import { VaultTransport } from './vault-transport.ts'

export interface VaultClientOptions {
  addr: string
  token?: string | undefined
  caPem?: string | undefined
  clientCertPem?: string | undefined
  clientKeyPem?: string | undefined
  skipVerify?: boolean
  timeoutMs?: number
  /** Extra attempts for calls that are safe to repeat. */
  retries?: number
  retryBaseMs?: number
  onCall?: (call: { method: string; path: string; status: number | 'error'; seconds: number }) => void
}

export interface VaultCallOptions {
  query?: Record<string, string>
  body?: unknown
  /** Statuses that are answers, not errors (sys/health answers 429, 472, 503...). */
  accept?: readonly number[]
  /** Send no token (unauthenticated paths), or another token than the client's. */
  token?: string | null
  /** A write Vault can safely receive twice. Reads are always retried, writes only on 412. */
  idempotent?: boolean
  /**
   * Keep repeating the call, with backoff, while Vault answers 412 (required index state not present) or 503 (not
   * ready, or unavailable for a moment after a role change), for up to this many ms. For any method: only for a write
   * whose repetition the caller can tell apart (a mint that did happen makes the repeat answer "already exists").
   */
  retryUnavailableMs?: number
  /** This call's deadline instead of the client's: for calls Vault answers only once long work is done. */
  timeoutMs?: number
  /**
   * false: a Vault that refuses connections is reported at once, not after the client's retries (a status read is a
   * snapshot, polled again anyway; a failover waits on the read of a lost primary).
   */
  retryUnreachable?: boolean
}

/** Longest pause between two attempts of a call that waits out 412/503 (retryUnavailableMs). */
const MAX_UNAVAILABLE_BACKOFF_MS = 1_000

export interface VaultResponse {
  status: number
  body: VaultEnvelope | undefined
}

/** A small Vault HTTP client: timeouts on every call, safe retries, Vault errors turned into coded errors. */
export class VaultClient {
  readonly addr: string
  readonly #token: string | undefined
  readonly #transport: VaultTransport
  readonly #timeoutMs: number
  readonly #retries: number
  readonly #retryBaseMs: number
  readonly #onCall: VaultClientOptions['onCall']

  constructor(opts: VaultClientOptions) {
    this.addr = opts.addr.replace(/\/+$/, '')
    this.#token = opts.token
    this.#timeoutMs = opts.timeoutMs ?? 10_000
    this.#retries = opts.retries ?? 2
    this.#retryBaseMs = opts.retryBaseMs ?? 100
    this.#onCall = opts.onCall
    this.#transport = new VaultTransport(this.addr, {
      caPem: opts.caPem,
      clientCertPem: opts.clientCertPem,
      clientKeyPem: opts.clientKeyPem,
      skipVerify: opts.skipVerify,
      idleMs: 4_000,
    })
  }

  read(path: string, opts: Omit<VaultCallOptions, 'body'> = {}) {
    return this.call('GET', path, opts)
  }

  write(path: string, body: unknown = {}, opts: Omit<VaultCallOptions, 'body'> = {}) {
    return this.call('POST', path, { ...opts, body })
  }

  async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts: VaultCallOptions = {},
  ): Promise<VaultResponse> {
    const safeToRepeat = method === 'GET' || opts.idempotent === true
    const unavailableUntil =
      opts.retryUnavailableMs === undefined ? undefined : performance.now() + opts.retryUnavailableMs
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(method, path, opts)
      } catch (err) {
        const { code, upstream } = err as CodedError
        if (unavailableUntil !== undefined && isUnavailable(err as CodedError)) {
          const pause = Math.min(this.#retryBaseMs * 2 ** attempt, MAX_UNAVAILABLE_BACKOFF_MS)
          if (performance.now() + pause > unavailableUntil) throw err
          await sleep(pause)
          continue
        }
        // Vault did not apply a request that hit a node without the latest state (412): repeating it is safe for
        // any method. Other "not ready" answers (429, 503) may come after the work started, so only reads repeat.
        const notApplied = code === VaultErrors.notReady.code && upstream?.status === 412
        const retryable =
          notApplied ||
          (safeToRepeat &&
            (code === VaultErrors.notReady.code ||
              (code === VaultErrors.unreachable.code && opts.retryUnreachable !== false) ||
              code === VaultErrors.sealed.code))
        if (!retryable || attempt >= this.#retries) throw err
        await sleep(this.#retryBaseMs * 2 ** attempt)
      }
    }
  }

  async #once(method: string, path: string, opts: VaultCallOptions): Promise<VaultResponse> {
    const url = new URL(`${this.addr}/v1/${path.replace(/^\/+/, '')}`)
    for (const [key, value] of Object.entries(opts.query ?? {})) url.searchParams.set(key, value)
    const token = opts.token === undefined ? this.#token : opts.token
    const headers: Record<string, string> = { accept: 'application/json' }
    if (token) headers['x-vault-token'] = token
    if (opts.body !== undefined) headers['content-type'] = 'application/json'
    const started = performance.now()
    const what = `${method} /v1/${path}`
    let status: number | 'error' = 'error'
    try {
      const res = await withDeadline(opts.timeoutMs ?? this.#timeoutMs, undefined, ({ signal }) =>
        this.#transport
          .send(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal })
          .catch((err: unknown) => {
            throw classifyTransportError(err, what, this.addr)
          }),
      )
      status = res.status
      const json = res.text === '' ? undefined : safeJson(res.text)
      if (res.status >= 400 && !opts.accept?.includes(res.status)) {
        const errors = VaultErrorBody.safeParse(json)
        throw classifyVaultError(res.status, errors.success ? errors.data.errors : [], what)
      }
      if (json === undefined) return { status: res.status, body: undefined }
      const envelope = VaultEnvelope.safeParse(json)
      if (json === NOT_JSON || !envelope.success) {
        throw VaultErrors.badResponse(`${what}: Vault's answer is not a Vault response (status ${res.status})`)
      }
      return { status: res.status, body: envelope.data }
    } finally {
      this.#onCall?.({ method, path, status, seconds: (performance.now() - started) / 1000 })
    }
  }

  async close(): Promise<void> {
    this.#transport.close()
  }
}

/** Vault answered 412 or 503: it did not serve the call now (not ready, no latest state, or briefly unavailable). */
function isUnavailable({ code, upstream }: CodedError): boolean {
  const answered = upstream?.service === 'vault' ? upstream.status : undefined
  return (
    (code === VaultErrors.notReady.code || code === VaultErrors.sealed.code) && (answered === 412 || answered === 503)
  )
}

// A body that is not JSON (an HTML page from a proxy): never a Vault envelope, even though every field is optional.
const NOT_JSON = Symbol('not JSON')

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

function classifyTransportError(err: unknown, what: string, addr: string): CodedError {
  const net = classifyNetworkError(err)
  const detail = `${what} to ${addr} failed: ${net.detail}`
  const upstream = { service: 'vault', code: net.code }
  if (net.kind === 'timeout') return VaultErrors.timeout(detail, { cause: err, upstream })
  if (net.kind === 'tls') return VaultErrors.tls(detail, { cause: err, upstream })
  return VaultErrors.unreachable(detail, { cause: err, upstream })
}
