import { setTimeout as sleep } from 'node:timers/promises'
import { requestJson } from './http.ts'

/**
 * The bare handshake a script would do against Vault's own API, with no agent or gateway: the baseline of the
 * handshake benchmarks. Calls retry only on 503 (Vault's brief unavailability after a role change).
 */
export interface DirectCluster {
  apiUrl: string
  rootToken: string
}

interface VaultEnvelope {
  data?: Record<string, unknown> | null
  wrap_info?: { token?: string } | null
  errors?: string[]
}

export async function vaultWrite(
  c: DirectCluster,
  path: string,
  body: unknown,
  opts: { retryFor?: number } = {},
): Promise<VaultEnvelope> {
  const deadline = performance.now() + (opts.retryFor ?? 5_000)
  for (;;) {
    const res = await requestJson<VaultEnvelope>(`${c.apiUrl}/v1/${path}`, {
      method: 'POST',
      vaultToken: c.rootToken,
      body,
    })
    if (res.status >= 200 && res.status < 300) return res.body ?? {}
    if (res.status === 503 && performance.now() < deadline) {
      await sleep(5)
      continue
    }
    throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
  }
}

export async function drStatus(c: DirectCluster): Promise<Record<string, unknown> | undefined> {
  const res = await requestJson<VaultEnvelope>(`${c.apiUrl}/v1/sys/replication/dr/status`)
  return res.status === 200 ? (res.body?.data ?? undefined) : undefined
}

/** Enables DR primary on `c` (call 1). */
export async function enablePrimary(c: DirectCluster): Promise<void> {
  await vaultWrite(c, 'sys/replication/dr/primary/enable', {})
}

/** Mints a wrapped secondary activation token (call 2) and activates the secondary with it (call 3). */
export async function mintAndActivate(primary: DirectCluster, secondary: DirectCluster, id: string): Promise<void> {
  const minted = await vaultWrite(primary, 'sys/replication/dr/primary/secondary-token', { id, ttl: '300s' })
  const token = minted.wrap_info?.token
  if (token === undefined) throw new Error('secondary-token returned no wrap_info.token')
  await vaultWrite(secondary, 'sys/replication/dr/secondary/enable', { token }, { retryFor: 0 })
}

/** Polls the secondary's DR status (call 4, repeated) until it streams WALs with a ready connection. */
export async function waitStreaming(secondary: DirectCluster, intervalMs: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  let polls = 0
  for (;;) {
    polls++
    const s = await drStatus(secondary).catch(() => undefined)
    if (s?.state === 'stream-wals' && s.connection_state === 'ready') return polls
    if (performance.now() > deadline) throw new Error(`not streaming after ${timeoutMs} ms (state ${String(s?.state)})`)
    await sleep(intervalMs)
  }
}
