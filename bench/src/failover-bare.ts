import { setTimeout as sleep } from 'node:timers/promises'
import { requestJson } from './lib/http.ts'
import type { DirectCluster } from './lib/vault-direct.ts'
import { vaultWrite } from './switchover-bare.ts'

/**
 * The bare failover a script would do against Vault's own API once the primary is lost: promote the secondary with
 * a DR operation token kept beforehand, then write until the new primary accepts. The baseline of the failover
 * benchmark; the gateway's failover makes the same promote after its guard, and fences the old primary.
 */
export interface BareFailover {
  /** From the promote request to the first write the new primary accepted. */
  ms: number
  /** Vault API calls, write attempts included. */
  calls: number
}

/** A harmless policy write on `c`: true when it was accepted (a primary serving writes). */
export async function acceptsWrite(c: DirectCluster, n: number): Promise<boolean> {
  const res = await requestJson(`${c.apiUrl}/v1/sys/policies/acl/bench-write-check`, {
    method: 'PUT',
    vaultToken: c.rootToken,
    body: { policy: `# ${n}\npath "secret/bench" { capabilities = ["read"] }` },
    timeoutMs: 5_000,
  }).catch(() => ({ status: 0 }))
  return res.status >= 200 && res.status < 300
}

/** Writes to `c` every `pollMs` until one is accepted; the number of attempts. */
export async function untilWritable(c: DirectCluster, pollMs: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  for (let n = 1; ; n++) {
    if (await acceptsWrite(c, n)) return n
    if (performance.now() > deadline) throw new Error(`${c.apiUrl} took no write within ${timeoutMs} ms`)
    await sleep(pollMs)
  }
}

export async function bareFailover(
  secondary: DirectCluster,
  drToken: string,
  opts: { pollMs: number; timeoutMs: number },
): Promise<BareFailover> {
  const started = performance.now()
  await vaultWrite(secondary, 'sys/replication/dr/secondary/promote', { dr_operation_token: drToken })
  const attempts = await untilWritable(secondary, opts.pollMs, opts.timeoutMs)
  return { ms: performance.now() - started, calls: 1 + attempts }
}
