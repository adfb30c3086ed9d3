import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { startVaultGate, type VaultGate } from '../helpers/vault-gate.ts'
import { clusterOf, kvWrite, type SwitchStack, startSwitchStack, until, waitForOperation } from './switchover-stack.ts'

/*
 * A partition, not a loss: the primary's site is cut off from the gateway and from the DR site, while inside it
 * dc1's agent still reaches dc1 and clients there still write to it. With VAULT_DR_FENCE_ON_ISOLATION (10 s) on
 * dc1's agent, dc1 demotes itself before the failover may start, even with a down_for no longer than that setting:
 * the gateway, which saw the setting in the agent's status before the cut, waits until the agent has surely
 * demoted dc1. So when the partition heals there is no moment with two writable primaries: its writes are sampled
 * all along.
 */

const ISOLATION = '10s'
const DOWN_FOR = '10s'

const secrets: string[] = []
let stack: SwitchStack | undefined
let gate: VaultGate | undefined
afterEach(async () => {
  await gate?.close()
  await stack?.close()
})
afterAll(() => expectNoSecretsInLogs(secrets))

/** Site-local writers on dc1: every accepted write with when it was sent (performance.now()). */
function siteWriters(s: SwitchStack, writers = 3) {
  const accepted: number[] = []
  let running = true
  const loops = Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const sent = performance.now()
      if (await kvWrite(clusterOf(s, 'dc1'), s.rootToken, `partition/${w}/${i}`)) accepted.push(sent)
      await sleep(2)
    }
  })
  return {
    accepted,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

describe('a partition isolating the primary site, its agent fencing on isolation', () => {
  it('dc1 demotes itself before the failover may start; after it, and once the partition heals, dc1 takes no write', async () => {
    stack = await startSwitchStack()
    const s = stack
    secrets.push(...s.secrets)
    const dc1 = clusterOf(s, 'dc1')
    const agent = await s.restartAgent('dc1', { env: { VAULT_DR_FENCE_ON_ISOLATION: ISOLATION }, signal: 'SIGTERM' })
    // The gateway reaches dc1's agent through a gate: holding it cuts the gateway off from the primary's site.
    gate = await startVaultGate(agent.url)
    const agentToken = await readFile(join(s.dir, 'dc1-api-token'), 'utf8')
    const registered = await s.api.POST('/v1/clusters', {
      body: { name: 'dc1', role: 'primary', agent_url: gate.url, agent_token: agentToken },
    })
    expect(registered.response.ok, JSON.stringify(registered.error)).toBe(true)
    const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
      params: { path: { secondary: 'dc2' } },
    })
    expect(rotated.response.status).toBe(200)
    // The pair's view shows dc1's agent self-fencing: the gateway keeps the setting for when the agent is cut off.
    const pair = await s.api.GET('/v1/pairs/{secondary}', { params: { path: { secondary: 'dc2' } } })
    expect(pair.data?.clusters.primary.fence_on_isolation_ms).toBe(10_000)

    const writers = siteWriters(s)
    await sleep(50)
    const cut = performance.now()
    gate.hold()
    await dc1.faults.closeClusterListener()

    const body = { to: 'dc2', down_for: DOWN_FOR, allow_data_loss: true } as never
    let demoted = 0
    let allowed = 0
    const waits: string[] = []
    await until('dc1 to demote itself and the failover to be allowed', 40_000, async () => {
      if (demoted === 0 && dc1.state().drMode === 'secondary') demoted = performance.now()
      const plan = (await s.api.POST('/v1/failovers/plan', { body })).data
      if (plan?.old_primary_fence.by === 'self' && plan.refusal?.code === 'PRIMARY_NOT_DOWN') {
        waits.push(plan.refusal.detail)
      }
      if (allowed === 0 && plan?.allowed === true) allowed = performance.now()
      return demoted > 0 && allowed > 0
    })
    // Self-fencing comes first: the plan waits for the agent's 10 s, its 2.5 s checks, Vault noticing and the grace a
    // restarted agent would give the gateways (5 s), not only for down_for (10 s), and says so while it waits.
    expect(demoted).toBeGreaterThan(0)
    expect(demoted).toBeLessThan(allowed)
    expect(waits.some((w) => w.includes('demotes it itself only 25 s after it is cut off from both'))).toBe(true)
    const created = await s.api.POST('/v1/failovers', { body })
    expect(created.response.status, JSON.stringify(created.error)).toBe(202)
    const done = await waitForOperation(s, created.data?.id as string)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    // The old primary's site drops the gateway's packets: the promote looks at it for a bounded time, not 45 s.
    const promote = done.steps.find((step) => step.name === 'promote_secondary')
    expect(Date.parse(promote?.finished_at ?? '') - Date.parse(promote?.started_at ?? '')).toBeLessThan(10_000)
    expect(clusterOf(s, 'dc2').state().drMode).toBe('primary')

    // The partition heals: the gateway reaches dc1's agent again, replication may flow again.
    gate.drop()
    await dc1.faults.reopenClusterListener()
    const healed = performance.now()
    await sleep(1_000)
    await writers.stop()
    const afterDemote = writers.accepted.filter((sent) => sent > demoted)
    console.log(
      `dc1 demoted itself ${Math.round(demoted - cut)} ms into the partition, the failover allowed at ` +
        `${Math.round(allowed - cut)} ms, healed at ${Math.round(healed - cut)} ms; writes accepted during the ` +
        `partition before the demote: ${writers.accepted.filter((sent) => sent > cut).length}, after it: ${afterDemote.length}`,
    )
    expect(afterDemote).toEqual([])
    expect(dc1.state().drMode).toBe('secondary')

    // The rejoin makes dc1 a DR secondary of dc2 without a wipe; its agent's fence is lifted.
    const rejoin = await s.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
    expect(rejoin.response.status, JSON.stringify(rejoin.error)).toBe(202)
    const rejoined = await waitForOperation(s, rejoin.data?.id as string)
    expect(rejoined.state, JSON.stringify(rejoined.error)).toBe('succeeded')
    await until('dc1 to stream from dc2', 15_000, () => dc1.state().drState === 'stream-wals')
  }, 90_000)
})
