/** Small JSON-over-HTTP helpers on the global fetch, with a deadline on every call. */

export interface JsonResponse<T = unknown> {
  status: number
  body: T
}

export async function requestJson<T = unknown>(
  url: string,
  opts: { method?: string; token?: string; vaultToken?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = {}
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
  if (opts.vaultToken !== undefined) headers['x-vault-token'] = opts.vaultToken
  const res = await fetch(url, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {}
  return { status: res.status, body: body as T }
}

export async function requestText(url: string, timeoutMs = 30_000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  return res.text()
}

/** Sums every sample of a Prometheus metric (all label sets) whose labels match `filter`, from text format. */
export function sumMetric(text: string, name: string, filter: Record<string, string> = {}): number {
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]] as const),
    )
    if (Object.entries(filter).every(([k, v]) => labels[k] === v)) total += Number(m[4])
  }
  return total
}

/** Every sample of a metric as { labels, value }. */
export function metricSamples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!] as const),
    )
    out.push({ labels, value: Number(m[4]) })
  }
  return out
}
