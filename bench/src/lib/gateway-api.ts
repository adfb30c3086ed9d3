import { requestJson } from './http.ts'

/** The parts of the gateway's Handshake the benchmarks read. */
export interface HandshakeView {
  id: string
  state: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  created_at: string
  finished_at: string | null
  steps: Array<{
    name: string
    status: string
    started_at: string | null
    finished_at: string | null
    detail: string | null
    error: { code: string; detail: string } | null
  }>
  error: { code: string; detail: string } | null
}

export interface Gateway {
  url: string
  token: string
  /** The gateway's process, when the bench started it (for its CPU time). */
  pid?: number
}

export async function registerCluster(
  gw: Gateway,
  cluster: { name: string; role: 'primary' | 'secondary'; agentUrl: string; agentToken: string },
): Promise<void> {
  const res = await requestJson(`${gw.url}/v1/clusters`, {
    token: gw.token,
    body: { name: cluster.name, role: cluster.role, agent_url: cluster.agentUrl, agent_token: cluster.agentToken },
  })
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`registering ${cluster.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
  }
}

export async function createHandshake(gw: Gateway, primary: string, secondary: string): Promise<HandshakeView> {
  const res = await requestJson<HandshakeView>(`${gw.url}/v1/handshakes`, {
    token: gw.token,
    body: { primary, secondary },
  })
  if (res.status !== 202) throw new Error(`POST /v1/handshakes: HTTP ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

export async function getHandshake(gw: Gateway, id: string): Promise<HandshakeView> {
  const res = await requestJson<HandshakeView>(`${gw.url}/v1/handshakes/${id}`, { token: gw.token })
  if (res.status !== 200) throw new Error(`GET /v1/handshakes/${id}: HTTP ${res.status}`)
  return res.body
}

/**
 * Follows GET /v1/handshakes/{id}/events (server-sent events) until its `done` event, and resolves with the finished
 * handshake and the time the event arrived (performance.now()): no polling interval blurs the figure.
 */
export async function waitDone(gw: Gateway, id: string, timeoutMs: number): Promise<{ hs: HandshakeView; at: number }> {
  const res = await fetch(`${gw.url}/v1/handshakes/${id}/events`, {
    headers: { authorization: `Bearer ${gw.token}`, accept: 'text/event-stream' },
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (res.status !== 200 || res.body === null) throw new Error(`events of ${id}: HTTP ${res.status}`)
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true })
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end < 0) break
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event === 'done' && data !== undefined) {
        const at = performance.now()
        return { hs: JSON.parse(data) as HandshakeView, at }
      }
    }
  }
  throw new Error(`the event stream of ${id} ended without a done event`)
}

/** Milliseconds each step took, from the gateway's own timestamps. */
export function stepDurations(hs: HandshakeView): Record<string, number | null> {
  const out: Record<string, number | null> = {}
  for (const s of hs.steps) {
    out[s.name] =
      s.started_at !== null && s.finished_at !== null ? Date.parse(s.finished_at) - Date.parse(s.started_at) : null
  }
  return out
}
