import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { returnAndMeasureDemote } from '../helpers/returning-primary.ts'
import {
  clusterOf,
  type Operation,
  type SwitchStack,
  startSwitchStack,
  until,
  waitForOperation,
} from './switchover-stack.ts'

/*
 * A lost site whose Vault hangs rather than refuses (a paused process, a network that drops packets): every request
 * to it is held, so every status read of its agent waits for it, while the agent itself answers. The fence must reach
 * the agent all the same, so that the moment the Vault answers again the agent demotes it, rather than after the
 * gateway's next status read that would have waited for that answer.
 */

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const FAILOVER = { to: 'dc2', down_for: '1s', allow_data_loss: true }

describe('a failover away from a primary whose Vault hangs', () => {
  it('the fence reaches its agent while the Vault hangs, and the returning primary is demoted at once', async () => {
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200' } })
    const s = stack
    secrets.push(...s.secrets)
    const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
    const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
      params: { path: { secondary: 'dc2' } },
    })
    expect(rotated.response.status).toBe(200)

    await dc1.faults.isolate('drop')
    await until('dc1 judged down', 60_000, async () => {
      const plan = await s.api.POST('/v1/failovers/plan', { body: FAILOVER as never })
      return plan.data?.primary_verdict === 'down'
    })
    const created = await s.api.POST('/v1/failovers', { body: FAILOVER as never })
    expect(created.response.status, JSON.stringify(created.error)).toBe(202)
    const done = await waitForOperation(s, (created.data as Operation).id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(dc2.state().drMode).toBe('primary')

    // Only dc1's Vault hangs: its agent takes the fence and keeps it on disk before dc1 answers anything, well before
    // the agent's own read of its Vault gives up (VAULT_DR_VAULT_TIMEOUT_MS, 10 s), which a status read waits for.
    const fencedAt = Date.now()
    const agentSaid = (text: string) => s.agents.dc1?.output.some((line) => line.includes(text)) ?? false
    await until("dc1's agent to hold the fence", 10_000, () => agentSaid('the gateway fenced this cluster'))
    expect(Date.now() - fencedAt).toBeLessThan(4_000)
    expect(dc1.state().drMode).toBe('primary')

    const { windowMs: window } = await returnAndMeasureDemote(s, dc1)
    expect(window).toBeLessThan(1_000)
    console.log(`dc1 took writes for ${window} ms after its Vault answered again, before its agent demoted it`)
  })
})
