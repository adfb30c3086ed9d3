import https from 'node:https'

/** The parts of Vault's envelopes the tests read. */
export interface VaultBody {
  errors?: string[]
  data?: Record<string, unknown> | null
  warnings?: string[] | null
  wrap_info?: {
    token: string
    accessor: string
    ttl: number
    creation_time: string
    creation_path: string
  } | null
  auth?: { client_token: string; accessor: string; policies: string[]; token_type: string } | null
  [key: string]: unknown
}

export interface VaultResponse {
  status: number
  body: VaultBody
  text: string
}

export interface CallOptions {
  token?: string
  body?: unknown
  /** Trust for an https API (the sim's generated CA). */
  caPem?: string | undefined
  headers?: Record<string, string>
}

/** One plain HTTP call against a real listener, the way an operator's curl would make it. */
export async function vault(method: string, url: string, options: CallOptions = {}): Promise<VaultResponse> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers['X-Vault-Token'] = options.token
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
  if (payload !== undefined) headers['Content-Type'] = 'application/json'
  const { status, text } = url.startsWith('https:')
    ? await httpsCall(method, url, headers, payload, options.caPem)
    : await fetchCall(method, url, headers, payload)
  return { status, text, body: text ? (JSON.parse(text) as VaultBody) : {} }
}

async function fetchCall(method: string, url: string, headers: Record<string, string>, payload: string | undefined) {
  const response = await fetch(url, { method, headers, ...(payload !== undefined && { body: payload }) })
  return { status: response.status, text: await response.text() }
}

function httpsCall(
  method: string,
  url: string,
  headers: Record<string, string>,
  payload: string | undefined,
  caPem: string | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method, headers, agent: false, ...(caPem && { ca: caPem }) }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(payload)
  })
}

/** Polls `read` until `done` holds (no fixed sleeps); fails with the last value seen. */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 10, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      last = await read()
      if (done(last)) return last
    } catch (err) {
      lastError = err
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new Error(
    `timed out waiting for ${what}; last value: ${JSON.stringify(last)}${lastError ? `; last error: ${String(lastError)}` : ''}`,
  )
}
