import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

export interface VaultTransportOptions {
  caPem?: string | undefined
  clientCertPem?: string | undefined
  clientKeyPem?: string | undefined
  skipVerify?: boolean | undefined
  /** How long an idle kept-alive connection stays open. */
  idleMs: number
}

export interface TransportRequest {
  method: string
  headers: Record<string, string>
  body?: string | undefined
  signal: AbortSignal
}

/**
 * Vault's HTTP transport on node:http/https with kept-alive connections. Node's own client rather than undici: the
 * agents load it anyway with their server, and undici alone was a fifth of an agent's start-up.
 */
export class VaultTransport {
  readonly #agent: HttpAgent
  readonly #request: typeof httpRequest

  constructor(addr: string, opts: VaultTransportOptions) {
    const keepAlive = { keepAlive: true, timeout: opts.idleMs }
    if (new URL(addr).protocol === 'https:') {
      this.#agent = new HttpsAgent({
        ...keepAlive,
        ...(opts.caPem === undefined ? {} : { ca: opts.caPem }),
        ...(opts.clientCertPem === undefined ? {} : { cert: opts.clientCertPem }),
        ...(opts.clientKeyPem === undefined ? {} : { key: opts.clientKeyPem }),
        rejectUnauthorized: !opts.skipVerify,
      })
      this.#request = httpsRequest
    } else {
      this.#agent = new HttpAgent(keepAlive)
      this.#request = httpRequest
    }
  }

  /** Sends one request and reads the whole answer; rejects with Node's network errors (ECONNREFUSED, ABORT_ERR...). */
  send(url: URL, req: TransportRequest): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      // Aborted by its deadline, a request fails with the deadline's reason (a TimeoutError) even when the answer had
      // begun: Node would report the cut connection as ECONNRESET ("aborted").
      const fail = (err: unknown) => reject(req.signal.aborted ? req.signal.reason : err)
      const outgoing = this.#request(
        url,
        { method: req.method, headers: req.headers, agent: this.#agent, signal: req.signal },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
          res.once('error', fail)
        },
      )
      outgoing.once('error', fail)
      outgoing.end(req.body)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}
