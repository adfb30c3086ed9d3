import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvWrite,
  type Operation,
  type SwitchStack,
  startSwitchStack,
  stepOf,
  until,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const FAILOVER = { to: 'dc2', down_for: '1s', allow_data_loss: true }

async function failover(s: SwitchStack): Promise<Operation> {
  const res = await s.api.POST('/v1/failovers', { body: FAILOVER as never })
  expect(res.response.status, JSON.stringify(res.error)).toBe(202)
  return waitForOperation(s, (res.data as Operation).id)
}

/** The key-share ceremony on dc2 through the gateway, with dc1's unseal key shares (the replication set's). */
async function ceremony(s: SwitchStack, shares: string[]) {
  const started = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/ceremony', {
    params: { path: { secondary: 'dc2' } },
  })
  expect(started.response.status, JSON.stringify(started.error)).toBe(201)
  const nonce = started.data?.nonce as string
  let complete = false
  for (const key of shares) {
    const res = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/ceremony/{nonce}/shares', {
      params: { path: { secondary: 'dc2', nonce } },
      body: { key },
    })
    expect(res.response.status, JSON.stringify(res.error)).toBe(200)
    complete = res.data?.complete === true
  }
  expect(complete).toBe(true)
}

/** A mutating call straight to an agent under a given fencing epoch, as a gateway that missed the failover makes. */
async function agentCallAtEpoch(s: SwitchStack, cluster: string, epoch: number) {
  const token = (await readFile(join(s.dir, `${cluster}-api-token`), 'utf8')).trim()
  const res = await fetch(`${s.agents[cluster]?.url}/v1/dr/operation-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-vault-dr-epoch': `${epoch}` },
    body: '{}',
  })
  return { status: res.status, body: (await res.json()) as { code?: string; token?: string } }
}

function storeEpoch(s: SwitchStack): number {
  const db = new DatabaseSync(join(s.dir, 'gateway.sqlite'), { readOnly: true })
  try {
    return Number(db.prepare("SELECT value FROM meta WHERE key = 'fencing_epoch'").get()?.value ?? 0)
  } finally {
    db.close()
  }
}

describe('failover with a kept DR operation token no longer valid at the promote', () => {
  it('fails at promote_secondary sending the operator to the ceremony, dc2 untouched; the ceremony token then promotes dc2; a stale epoch is refused by its agent', async () => {
    // A kept token of 20 s never has the 30 s left the gateway needs to send it: valid for the plan, not at promote.
    stack = await startSwitchStack({
      gatewayEnv: { VAULT_DR_OPERATION_TOKEN_TTL: '20s', VAULT_DR_FENCE_CHECK_MS: '200' },
    })
    const s = stack
    secrets.push(...s.secrets)
    const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
    secrets.push(...dc1.unsealKeys)
    const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
      params: { path: { secondary: 'dc2' } },
    })
    expect(rotated.response.status, JSON.stringify(rotated.error)).toBe(200)

    await dc1.faults.isolate('refuse')
    await until('dc1 judged down', 15_000, async () => {
      const plan = await s.api.POST('/v1/failovers/plan', { body: FAILOVER as never })
      return plan.data?.primary_verdict === 'down' && plan.data.dr_operation_token.source === 'kept'
    })

    const refused = await failover(s)
    expect(refused.state).toBe('failed')
    expect(stepOf(refused, 'preflight')?.status).toBe('succeeded')
    const promote = stepOf(refused, 'promote_secondary')
    expect(promote?.status).toBe('failed')
    expect(promote?.error?.code).toBe('GATEWAY_ERR_FAILOVER_NO_DR_TOKEN')
    expect(promote?.error?.fix).toContain('vault-dr dr-token ceremony dc2')
    expect(refused.error?.code).toBe('GATEWAY_ERR_FAILOVER_NO_DR_TOKEN')
    // Refused, so nothing changed: the old primary is not fenced (it may come back as the one primary).
    expect(refused.error?.detail).not.toContain('fenced')
    expect(dc2.state()).toMatchObject({ drMode: 'secondary' })
    expect(s.simEvents.filter((e) => e.includes('promoted to primary'))).toHaveLength(0)

    await ceremony(s, dc1.unsealKeys)
    const done = await failover(s)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(dc2.state().drMode).toBe('primary')
    expect(await kvWrite(dc2, s.rootToken, 'after/0')).toBe(true)
    expect(s.simEvents.filter((e) => e.includes('promoted to primary'))).toHaveLength(1)

    // The ceremony token it used cannot be deleted while dc2 is a primary (Vault deletes one on a DR secondary only):
    // said so, and kept sealed until dc2 is a DR secondary again.
    const gone = await s.api.DELETE('/v1/pairs/{secondary}/dr-operation-token/ceremony/token', {
      params: { path: { secondary: 'dc2' } },
    })
    expect(gone.response.status).toBe(409)
    const refusal = gone.error as { code?: string; fix?: string }
    expect(refusal.code).toBe('GATEWAY_ERR_CEREMONY_TOKEN_NOT_ON_SECONDARY')
    expect(refusal.fix).toContain('vault-dr dr-token ceremony dc2 --delete')

    // A gateway that missed the failover calls dc2's agent with the epoch before it: refused, nothing made.
    const epoch = storeEpoch(s)
    expect(epoch).toBeGreaterThan(0)
    const stale = await agentCallAtEpoch(s, 'dc2', epoch - 1)
    expect(stale.status).toBe(409)
    expect(stale.body.code).toBe('AGENT_ERR_STALE_EPOCH')
    expect(stale.body.token).toBeUndefined()
  })
})
