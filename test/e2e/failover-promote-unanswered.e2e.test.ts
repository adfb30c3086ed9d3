import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { clusterOf, type SwitchStack, startSwitchStack, stepOf, until, waitForOperation } from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const PROMOTE = '/v1/sys/replication/dr/secondary/promote'
const STATUS_READS = new Set(['/v1/sys/health', '/v1/sys/replication/dr/status'])

/** The fence the gateway keeps for a cluster, read from its store (the test reads, never writes). */
function fenceOf(s: SwitchStack, cluster: string): { failover_id: string } | undefined {
  const db = new DatabaseSync(join(s.dir, 'gateway.sqlite'), { readOnly: true })
  try {
    const raw = db.prepare('SELECT value FROM meta WHERE key = ?').get(`fence/${cluster}`)?.value as string | undefined
    return raw === undefined || raw === '' ? undefined : JSON.parse(raw)
  } finally {
    db.close()
  }
}

/**
 * A stack whose dc1 site is lost (refused) and judged down, with a DR operation token kept for dc2 and dc2 caught
 * up; then a failover to dc2 is created with dc2's promote held at its Vault gate: its id once the promote waits there.
 */
async function failoverHeldAtPromote(gatewayEnv: Record<string, string>) {
  stack = await startSwitchStack({ vaultGates: true, gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200', ...gatewayEnv } })
  const s = stack
  secrets.push(...s.secrets)
  const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
  const [gate1, gate2] = [s.vaultGates?.dc1, s.vaultGates?.dc2]
  if (gate1 === undefined || gate2 === undefined) throw new Error('the stack has no gates')
  const plan = async () => {
    const res = await s.api.POST('/v1/failovers/plan', { body: { to: 'dc2', down_for: '2s' } as never })
    if (!res.data) throw new Error(`planFailover: ${res.response.status} ${JSON.stringify(res.error)}`)
    return res.data
  }
  const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
    params: { path: { secondary: 'dc2' } },
  })
  expect(rotated.response.status).toBe(200)
  await until('dc2 caught up', 10_000, async () => lagAsIs((await plan()).pair.lag, dc1, dc2) === 0)
  await dc1.faults.isolate('refuse')
  await until('dc1 judged down', 20_000, async () => (await plan()).primary_verdict === 'down')

  gate2.hold((path) => path === PROMOTE)
  const created = await s.api.POST('/v1/failovers', { body: { to: 'dc2', down_for: '2s' } as never })
  expect(created.response.status, JSON.stringify(created.error)).toBe(202)
  await gate2.waiting()
  return { s, dc1, dc2, gate1, gate2, id: created.data?.id as string }
}

describe('a failover whose promote got no answer (the promoted cluster agent killed while Vault promoted it, not back in time)', () => {
  it('ends failed, saying the promote may have taken effect, and fences the old primary all the same: it is demoted when its site returns', async () => {
    const { s, dc1, dc2, gate2: gate, id } = await failoverHeldAtPromote({ VAULT_DR_AGENT_RETURN_MS: '1000' })
    // The promote reaches Vault; the agent's reads that would see it settle wait at the gate; the agent dies then,
    // and stays away longer than the gateway waits for it (VAULT_DR_AGENT_RETURN_MS) before it is started again.
    gate.release()
    gate.hold((path) => STATUS_READS.has(path))
    await until('dc2 promoted by Vault', 10_000, () => dc2.state().drMode === 'primary')
    await s.agents.dc2?.stop('SIGKILL')
    gate.release()
    const done = await waitForOperation(s, id, undefined, 60_000)
    await s.restartAgent('dc2')

    expect(done.state).toBe('failed')
    expect(stepOf(done, 'promote_secondary')?.status).toBe('failed')
    expect(stepOf(done, 'fence_old_primary')?.status).toBe('skipped')
    expect(done.error?.detail).toContain('the promote of dc2 was sent and may have taken effect, so dc1 is fenced')
    expect(done.error?.fix).toContain('vault-dr rejoin dc1')
    expect(fenceOf(s, 'dc1')?.failover_id).toBe(id)
    expect(dc2.state().drMode).toBe('primary')

    // The old primary's site returns: the fence demotes it, so it never serves beside the promoted dc2.
    await dc1.faults.rejoin()
    await until('dc1 demoted', 10_000, () => dc1.state().drMode === 'secondary')
    expect(dc2.state().drMode).toBe('primary')
  })
})

describe('a failover whose promote got no answer, the agent back within VAULT_DR_AGENT_RETURN_MS', () => {
  it('fences the old primary while the step waits for the agent (its site returning meanwhile is demoted), then succeeds', async () => {
    const { s, dc1, dc2, gate2: gate, id } = await failoverHeldAtPromote({})
    // The agent dies with the promote on its way; Vault carries it out.
    await s.agents.dc2?.stop('SIGKILL')
    gate.release()
    await until('dc2 promoted by Vault', 10_000, () => dc2.state().drMode === 'primary')

    // While the step waits for dc2's agent, dc1 is fenced already, and its site returning is demoted at once.
    await until('dc1 fenced by the failover', 10_000, () => fenceOf(s, 'dc1')?.failover_id === id)
    const waiting = await waitForOperation(s, id, (op) => op.state !== 'pending', 10_000)
    expect(waiting.state).toBe('running')
    expect(stepOf(waiting, 'promote_secondary')?.status).toBe('running')
    await dc1.faults.rejoin()
    await until('dc1 demoted', 10_000, () => dc1.state().drMode === 'secondary')
    expect(dc2.state().drMode).toBe('primary')

    await s.restartAgent('dc2')
    const done = await waitForOperation(s, id, undefined, 60_000)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(stepOf(done, 'promote_secondary')?.detail).toContain('unfinished attempt')
    expect(s.simEvents.filter((e) => e.includes('promoted to primary'))).toHaveLength(1)
    expect([dc1, dc2].filter((c) => c.state().drMode === 'primary')).toEqual([dc2])
  })
})

describe('a failover whose promote never reached Vault, the old primary back as one while the step waits', () => {
  it('waits while the fence demotes the old primary, then promotes: one primary, the failover succeeds', async () => {
    const { s, dc1, dc2, gate1, gate2, id } = await failoverHeldAtPromote({})
    // dc2's agent dies before its promote reaches Vault: nothing was promoted, but it may have been, so dc1 is fenced.
    await s.agents.dc2?.stop('SIGKILL')
    gate2.drop()
    await until('dc1 fenced by the failover', 10_000, () => fenceOf(s, 'dc1')?.failover_id === id)
    // dc1's site returns as a primary; the fence's demote of it waits at its Vault, so the step, run again once dc2's
    // agent is back, finds dc1 a primary.
    gate1.hold((path) => path === '/v1/sys/replication/dr/primary/demote')
    await dc1.faults.rejoin()
    await gate1.waiting()
    await s.restartAgent('dc2')
    await waitForOperation(
      s,
      id,
      (op) => (stepOf(op, 'promote_secondary')?.detail ?? '').includes('is a DR primary again'),
      20_000,
    )
    expect(dc2.state().drMode).toBe('secondary')
    gate1.release()

    const done = await waitForOperation(s, id, undefined, 60_000)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(dc1.state().drMode).toBe('secondary')
    expect(dc2.state().drMode).toBe('primary')
    expect(s.simEvents.filter((e) => e.includes('promoted to primary'))).toHaveLength(1)
  })
})
