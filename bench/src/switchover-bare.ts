import { setTimeout as sleep } from 'node:timers/promises'
import { requestJson } from './lib/http.ts'
import { type DirectCluster, drStatus } from './lib/vault-direct.ts'

/**
 * The bare switchover a careful script would do against Vault's own API, with no agent or gateway: the baseline of
 * the switchover benchmark, and the order the gateway's switchover follows (HashiCorp testcluster and enos tail):
 * demote, wait for catch-up, promote, wait for writes, public key, token with that key, update-primary, wait.
 */
export interface BareSwitchover {
  ms: number
  /** From the demote to the first write the new primary accepted. */
  writeUnavailableMs: number
  /** WALs the old primary wrote that the new one never received (0 expected). */
  walsLost: number
  /** Vault API calls, polls included. */
  calls: number
}

const DR = 'sys/replication/dr'

interface Envelope {
  data?: Record<string, unknown> | null
  auth?: { client_token?: string } | null
  wrap_info?: { token?: string } | null
}

/**
 * One Vault write, retried while the cluster is between roles (503, or no active node yet for a moment after a role
 * change: Vault answers 500 "local node not active"), as a careful script would.
 */
export async function vaultWrite(
  c: DirectCluster,
  path: string,
  body: unknown,
  retryForMs = 10_000,
): Promise<Envelope> {
  const deadline = performance.now() + retryForMs
  for (;;) {
    const res = await requestJson<Envelope & { errors?: string[] }>(`${c.apiUrl}/v1/${path}`, {
      method: 'POST',
      vaultToken: c.rootToken,
      body,
    })
    if (res.status >= 200 && res.status < 300) return res.body ?? {}
    const settling = res.status === 503 || (res.status === 500 && /not active/.test(String(res.body?.errors)))
    if (!settling || performance.now() > deadline) {
      throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
    }
    await sleep(5)
  }
}

/** A batch DR operation token made on the primary (fact sheet 2.6): the credential of promote and update-primary. */
export async function makeDrOperationToken(primary: DirectCluster, ttl = '1h'): Promise<string> {
  const paths = [`${DR}/secondary/promote`, `${DR}/secondary/update-primary`]
  const policy = paths.map((p) => `path "${p}" { capabilities = ["update"] }`).join('\n')
  await vaultWrite(primary, 'sys/policies/acl/bench-dr-operation', { policy })
  await vaultWrite(primary, 'auth/token/roles/bench-dr-operation', {
    allowed_policies: 'bench-dr-operation',
    orphan: true,
    renewable: false,
    token_type: 'batch',
  })
  const made = await vaultWrite(primary, 'auth/token/create/bench-dr-operation', { ttl })
  const token = made.auth?.client_token
  if (token === undefined) throw new Error('auth/token/create answered without auth.client_token')
  return token
}

/** Writes a harmless policy on `c`: true when it was accepted (a primary serving writes). */
async function accepts(c: DirectCluster, n: number): Promise<boolean> {
  const res = await requestJson(`${c.apiUrl}/v1/sys/policies/acl/bench-write-check`, {
    method: 'PUT',
    vaultToken: c.rootToken,
    body: { policy: `# ${n}\npath "secret/bench" { capabilities = ["read"] }` },
    timeoutMs: 5_000,
  }).catch(() => ({ status: 0 }))
  return res.status >= 200 && res.status < 300
}

export async function bareSwitchover(
  from: DirectCluster,
  to: DirectCluster,
  drToken: string,
  opts: { fromSecondaryId: string; pollMs: number; timeoutMs: number },
): Promise<BareSwitchover> {
  let calls = 0
  const status = async (c: DirectCluster) => {
    calls++
    return (await drStatus(c).catch(() => undefined)) ?? {}
  }
  const until = async (what: string, ok: () => Promise<boolean>) => {
    const deadline = performance.now() + opts.timeoutMs
    while (!(await ok())) {
      if (performance.now() > deadline) throw new Error(`bare switchover: ${what} not within ${opts.timeoutMs} ms`)
      await sleep(opts.pollMs)
    }
  }
  const write = (c: DirectCluster, path: string, body: unknown) => {
    calls++
    return vaultWrite(c, path, body)
  }
  const started = performance.now()
  const before = await status(from)
  const lastWal = Number(before.last_wal ?? before.last_dr_wal ?? 0)

  const demotedAt = performance.now()
  await write(from, `${DR}/primary/demote`, {})
  let fromRoot = ''
  await until('the old primary settles as a secondary', async () => {
    const s = await status(from)
    fromRoot = String(s.merkle_root ?? '')
    return s.mode === 'secondary'
  })
  let remote = 0
  await until('catch-up', async () => {
    const s = await status(to)
    remote = Number(s.last_remote_wal ?? 0)
    return remote >= lastWal && s.merkle_root === fromRoot
  })
  await write(to, `${DR}/secondary/promote`, { dr_operation_token: drToken })
  // The promoted cluster holds the old primary's data, its tokens included: its own token was wiped at activation.
  const promoted = { apiUrl: to.apiUrl, rootToken: from.rootToken }
  let n = 0
  await until('the new primary accepts writes', async () => {
    calls++
    return accepts(promoted, n++)
  })
  const writeUnavailableMs = performance.now() - demotedAt

  const key = await write(from, `${DR}/secondary/generate-public-key`, {})
  const publicKey = (key.data as { secondary_public_key?: string } | null)?.secondary_public_key
  if (publicKey === undefined) throw new Error('generate-public-key answered without data.secondary_public_key')
  const minted = await write(promoted, `${DR}/primary/secondary-token`, {
    id: opts.fromSecondaryId,
    secondary_public_key: publicKey,
  })
  const token = (minted.data as { token?: string } | null)?.token
  if (token === undefined) throw new Error('secondary-token with secondary_public_key answered without data.token')
  await write(from, `${DR}/secondary/update-primary`, { dr_operation_token: drToken, token })
  await until('the old primary streams from the new one', async () => {
    const s = await status(from)
    return s.state === 'stream-wals' && s.connection_state === 'ready' && s.secondary_id === opts.fromSecondaryId
  })
  return { ms: performance.now() - started, writeUnavailableMs, walsLost: Math.max(0, lastWal - remote), calls }
}
