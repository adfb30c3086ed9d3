import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { ChildService } from '../helpers/child-service.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { type ServingBalancer, startServingBalancer } from '../helpers/serving-balancer.ts'
import { clusterOf, kvWrite, type SwitchStack, startSwitchStack, until, waitForOperation } from './switchover-stack.ts'

/*
 * An old primary whose site returns after a failover: how long its Vault takes writes before it is demoted, sampled
 * by writers hammering it from the moment before it is reachable again. vault-sim's lost site cuts the cluster off
 * from everyone, its own agent included, and makes it reachable to everyone at once when it returns: nothing
 * outside Vault can stop the first writes that reach it directly then; what vault-dr controls is how soon the demote
 * follows. Clients that go through a load balancer checking the agents' GET /serving reach it not once: writers
 * through such a balancer (in front of both clusters since before the loss) sample that beside the direct ones.
 */

/** The gateway's regular fence check, made long: a fence sooner than it can only come from its 100 ms poll. */
const SLOW_CHECKS = { VAULT_DR_FENCE_CHECK_MS: '10000' }

/** Until the gateway has found the fenced old primary's agent away: from then on it asks it every 100 ms. */
const seenAway = (s: SwitchStack) =>
  until('the gateway to find dc1 away', 15_000, () =>
    s.gateway.output.some((l) => l.includes('"outcome":"away"') && l.includes('fence pending')),
  )

const secrets: string[] = []
let stack: SwitchStack | undefined
let balancer: ServingBalancer | undefined
afterEach(async () => {
  await balancer?.stop()
  balancer = undefined
  await stack?.close()
})
afterAll(() => expectNoSecretsInLogs(secrets))

/** Writers on one cluster: each accepted write with when it was sent and answered (ms, performance.now()). */
function hammer(c: ClusterHandle, rootToken: string, writers = 4) {
  const accepted: Array<{ sent: number; answered: number }> = []
  let attempts = 0
  let running = true
  const loops = Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const sent = performance.now()
      attempts++
      if (await kvWrite(c, rootToken, `returning/${w}/${i}`)) accepted.push({ sent, answered: performance.now() })
      // A refused connection answers at once: a short pause keeps this from spinning.
      else await sleep(1)
    }
  })
  return {
    accepted,
    attempts: () => attempts,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

/** Writers through the balancer: each accepted write with the cluster it went to and when it was sent. */
function hammerThrough(lb: ServingBalancer, rootToken: string, writers = 2) {
  const accepted: Array<{ cluster: string; sent: number }> = []
  let running = true
  const loops = Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const sent = performance.now()
      const to = lb.target()
      if (to !== undefined && (await kvWrite(to as unknown as ClusterHandle, rootToken, `balanced/${w}/${i}`))) {
        accepted.push({ cluster: to.name, sent })
      } else await sleep(1)
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

/**
 * A balancer in front of both clusters' APIs, checking their agents' GET /serving every 5 ms: far more often than a
 * real one, so that even a 200 lasting a few ms (the moment before a fence) would send it clients.
 */
function balance(s: SwitchStack): ServingBalancer {
  balancer = startServingBalancer(
    ['dc1', 'dc2'].map((name) => ({
      name,
      apiUrl: clusterOf(s, name).apiUrl,
      agentUrl: () => (s.agents[name] as ChildService).url,
    })),
    5,
  )
  return balancer
}

/** Polls the emulator (in this process) until the cluster is a DR secondary; answers when it was first seen so. */
async function demotedAt(c: ClusterHandle, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (c.state().drMode !== 'secondary') {
    if (performance.now() > deadline) throw new Error(`${c.state().drMode}: not demoted within ${timeoutMs} ms`)
    await sleep(1)
  }
  return performance.now()
}

async function agentStatus(s: SwitchStack, name: string, url: string) {
  const token = await readFile(join(s.dir, `${name}-api-token`), 'utf8')
  const res = await fetch(`${url}/v1/status`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(2_000),
  }).catch(() => undefined)
  return res?.ok ? ((await res.json()) as { fenced?: { demoted_at: string | null } | null; epoch?: number }) : undefined
}

async function rejoin(s: SwitchStack): Promise<undefined> {
  await clusterOf(s, 'dc1').faults.rejoin()
  return undefined
}

/** dc1's site lost (and its agent with it when `agentToo`), and a failover to dc2 by the gateway, the loss allowed. */
async function failOver(s: SwitchStack, agentToo: boolean) {
  const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
    params: { path: { secondary: 'dc2' } },
  })
  expect(rotated.response.status).toBe(200)
  const lb = balance(s)
  await until('the balancer to send clients to dc1', 5_000, () => lb.target()?.name === 'dc1')
  await clusterOf(s, 'dc1').faults.isolate('refuse')
  if (agentToo) await (s.agents.dc1 as ChildService).stop('SIGKILL')
  const body = { to: 'dc2', down_for: '1s', allow_data_loss: true } as never
  await until('the plan to allow the failover', 20_000, async () => {
    const plan = await s.api.POST('/v1/failovers/plan', { body })
    return plan.data?.allowed === true
  })
  const created = await s.api.POST('/v1/failovers', { body })
  expect(created.response.status, JSON.stringify(created.error)).toBe(202)
  const done = await waitForOperation(s, created.data?.id as string)
  expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
  expect(clusterOf(s, 'dc2').state().drMode).toBe('primary')
  // Its agent promoted it: the balancer sends clients to the new primary.
  await until('the balancer to send clients to dc2', 5_000, () => lb.target()?.name === 'dc2')
}

/**
 * dc1's site returns (`back` brings it back, and answers when its Vault answered again if it did more after that):
 * writers hammer dc1 from before, and the test measures how long after its Vault answered again it was demoted and
 * which writes it accepted then; none is accepted once it is demoted.
 */
async function returning(s: SwitchStack, back: () => Promise<number | undefined>, demoteWithinMs: number) {
  const dc1 = clusterOf(s, 'dc1')
  const writers = hammer(dc1, s.rootToken)
  const balanced = hammerThrough(balancer as ServingBalancer, s.rootToken)
  await sleep(50)
  const before = performance.now()
  const reachable = (await back()) ?? performance.now()
  const demoted = await demotedAt(dc1, demoteWithinMs)
  const settled = writers.attempts()
  await until('writers to try 200 more times after the demote', 10_000, () => writers.attempts() > settled + 200)
  await writers.stop()
  await balanced.stop()
  const late = writers.accepted.filter((w) => w.sent > demoted)
  const throughBalancer = (cluster: string) => balanced.accepted.filter((w) => w.cluster === cluster).length
  const taken = writers.accepted.filter((w) => w.sent >= before)
  const lastAnswered = Math.max(reachable, ...taken.map((w) => w.answered))
  return {
    windowMs: Math.round(demoted - reachable),
    accepted: taken.length,
    lastAcceptedMs: taken.length === 0 ? null : Math.round(lastAnswered - reachable),
    late: late.length,
    /** Writes through the balancer: dc1 must take none, dc2 (the new primary) takes them all. */
    balanced: { dc1: throughBalancer('dc1'), dc2: throughBalancer('dc2') },
    /** When the balancer saw dc1 up again after the site returned (none expected). */
    dc1Up: (balancer as ServingBalancer).changes.filter((c) => c.cluster === 'dc1' && c.up && c.at >= before),
  }
}

/** No write through the balancer reached the returning old primary, and the new primary took them meanwhile. */
function expectBalancedToNewPrimary(seen: { balanced: { dc1: number; dc2: number }; dc1Up: unknown[] }) {
  expect(seen.dc1Up).toEqual([])
  expect(seen.balanced.dc1).toBe(0)
  expect(seen.balanced.dc2).toBeGreaterThan(0)
}

describe("an old primary's site returning after a failover, writes sampled from before it returns", () => {
  it('its agent ran through the loss: the gateway fenced it while its Vault was away, and it demotes Vault at its first answer', async () => {
    // The default check interval: the fence reaches the agent during the loss, whatever the interval.
    stack = await startSwitchStack()
    const s = stack
    secrets.push(...s.secrets)
    await failOver(s, false)
    const agent = s.agents.dc1 as ChildService
    await until('dc1 agent to hold the fence', 15_000, async () => {
      const status = await agentStatus(s, 'dc1', agent.url)
      return status?.fenced != null && status.fenced.demoted_at === null
    })
    const seen = await returning(s, () => rejoin(s), 3_000)
    console.log(`agent held the fence: demoted ${seen.windowMs} ms after its site returned; ${JSON.stringify(seen)}`)
    expect(seen.late).toBe(0)
    expectBalancedToNewPrimary(seen)
    // Its agent reads Vault every 20 ms: the bound is below the gateway's 5 s check, with room for a loaded machine.
    expect(seen.windowMs).toBeLessThan(3_000)
  })

  it('its agent was lost with it and started again before its Vault: the gateway fences it at once, and it demotes Vault at its first answer', async () => {
    stack = await startSwitchStack({ gatewayEnv: SLOW_CHECKS })
    const s = stack
    secrets.push(...s.secrets)
    await failOver(s, true)
    await seenAway(s)
    const agent = await s.restartAgent('dc1')
    await until(
      'dc1 agent to hold the fence',
      15_000,
      async () => (await agentStatus(s, 'dc1', agent.url))?.fenced != null,
    )
    const agentFirst = await returning(s, () => rejoin(s), 3_000)
    console.log(`agent back before its Vault: demoted ${agentFirst.windowMs} ms after; ${JSON.stringify(agentFirst)}`)
    expect(agentFirst.late).toBe(0)
    expectBalancedToNewPrimary(agentFirst)
    expect(agentFirst.windowMs).toBeLessThan(3_000)
  })

  it('its agent was lost with it and comes back after its Vault: the gateway reaches it within a poll of its start', async () => {
    stack = await startSwitchStack({ gatewayEnv: SLOW_CHECKS })
    const s = stack
    secrets.push(...s.secrets)
    await failOver(s, true)
    await seenAway(s)
    let agentAfterMs = 0
    const seen = await returning(
      s,
      async () => {
        await clusterOf(s, 'dc1').faults.rejoin()
        const vaultBack = performance.now()
        await s.restartAgent('dc1')
        agentAfterMs = Math.round(performance.now() - vaultBack)
        return vaultBack
      },
      20_000,
    )
    console.log(
      `agent back after its Vault (its /healthz answered ${agentAfterMs} ms after Vault did): demoted ${seen.windowMs} ms after Vault answered; ${JSON.stringify(seen)}`,
    )
    expect(seen.late).toBe(0)
    expectBalancedToNewPrimary(seen)
    // The agent's own start is the part nothing outside Vault can shorten; what follows is the gateway's 100 ms poll
    // of an away agent, the fence and the demote: bounded well below its regular 10 s check.
    expect(seen.windowMs - agentAfterMs).toBeLessThan(5_000)
  })

  it('with VAULT_DR_FENCE_ON_ISOLATION and no gateway reaching its agent: the agent demotes Vault at its first answer past the duration', async () => {
    stack = await startSwitchStack()
    const s = stack
    secrets.push(...s.secrets)
    await failOver(s, true)
    // The gateway cannot reach the old site: here, it is stopped before dc1's agent runs again.
    await s.gateway.stop('SIGKILL')
    const agent = await s.restartAgent('dc1', { env: { VAULT_DR_FENCE_ON_ISOLATION: '10s' } })
    // Past the duration as its agent counts it (from its first check), neither its Vault nor any request reaching
    // it: nothing asks it anything meanwhile; it says so in its log.
    const armedAt = Date.now()
    await until('the agent to count 10 s of isolation', 30_000, () =>
      agent.output.some((l) => l.includes('demoting it as soon as it answers')),
    )
    expect(Date.now() - armedAt).toBeGreaterThan(10_000)
    expect(clusterOf(s, 'dc1').state().drMode).toBe('primary')
    const seen = await returning(s, () => rejoin(s), 3_000)
    console.log(
      `self-fenced on isolation: demoted ${seen.windowMs} ms after its site returned; ${JSON.stringify(seen)}`,
    )
    expect(seen.late).toBe(0)
    expectBalancedToNewPrimary(seen)
    // At its first read (every 20 ms once armed), not once the duration has passed again from that read (10 s).
    expect(seen.windowMs).toBeLessThan(5_000)
    expect((await agentStatus(s, 'dc1', agent.url))?.fenced).toMatchObject({ by: 'isolation' })
  })

  it('no gateway reaches its agent and no self-fencing: direct clients write to it, the balancer sends none there', async () => {
    stack = await startSwitchStack()
    const s = stack
    secrets.push(...s.secrets)
    await failOver(s, true)
    await s.gateway.stop('SIGKILL')
    await s.restartAgent('dc1')
    const dc1 = clusterOf(s, 'dc1')
    const lb = balancer as ServingBalancer
    const direct = hammer(dc1, s.rootToken)
    const balanced = hammerThrough(lb, s.rootToken)
    const back = performance.now()
    await dc1.faults.rejoin()
    // Two primaries as far as Vault goes (nothing fences it): the direct writers' writes land on both sides.
    await until('dc1 to take direct writes', 10_000, () => direct.accepted.length > 50)
    await sleep(1_000)
    const before = { direct: direct.accepted.length, dc2: balanced.accepted.filter((w) => w.cluster === 'dc2').length }
    expect(dc1.state().drMode).toBe('primary')
    const dc1Up = lb.changes.filter((c) => c.cluster === 'dc1' && c.at >= back)
    expect(dc1Up.every((c) => !c.up)).toBe(true)
    expect(balanced.accepted.filter((w) => w.cluster === 'dc1')).toEqual([])
    expect(before.dc2).toBeGreaterThan(0)

    // The gateway is back: it fences dc1 at once; the balancer never sent it a client.
    await s.restartGateway()
    const demoted = await demotedAt(dc1, 15_000)
    await sleep(200)
    await direct.stop()
    await balanced.stop()
    console.log(
      `no gateway, no self-fencing: ${before.direct} direct writes to dc1 before the gateway returned, ` +
        `${balanced.accepted.length} through the balancer, all to dc2; demoted ${Math.round(demoted - back)} ms after it returned`,
    )
    expect(direct.accepted.filter((w) => w.sent > demoted)).toEqual([])
    expect(balanced.accepted.filter((w) => w.cluster === 'dc1')).toEqual([])
    expect(lb.changes.filter((c) => c.cluster === 'dc1' && c.up && c.at >= back)).toEqual([])
  })

  it('a primary whose agent restarts while its DR site is away is served again once the gateway confirms it', async () => {
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_PAIRS_UPKEEP_MS: '1000' } })
    const s = stack
    secrets.push(...s.secrets)
    const lb = balance(s)
    await until('the balancer to send clients to dc1', 5_000, () => lb.target()?.name === 'dc1')
    await clusterOf(s, 'dc2').faults.isolate('refuse')
    await until('dc1 to see dc2 disconnected', 10_000, () =>
      (
        (clusterOf(s, 'dc1').state().drStatus as { secondaries?: Array<{ connection_status?: string }> }).secondaries ??
        []
      ).every((c) => c.connection_status !== 'connected'),
    )
    // The gateway held still while the agent restarts, so its upkeep cannot confirm dc1 before the balancer looks.
    s.gateway.process.kill('SIGSTOP')
    const restarted = performance.now()
    try {
      await s.restartAgent('dc1')
      // Nothing confirms its role at its start (no DR secondary connects): out of the balancer until the gateway does.
      await until('the balancer to see dc1 unconfirmed', 5_000, () =>
        lb.changes.some((c) => c.cluster === 'dc1' && c.at >= restarted && c.reason === 'unconfirmed'),
      )
      expect(lb.target()).toBeUndefined()
    } finally {
      s.gateway.process.kill('SIGCONT')
    }
    await until('the gateway to confirm dc1', 10_000, () => lb.target()?.name === 'dc1')
    const reasons = lb.changes.filter((c) => c.cluster === 'dc1' && c.at >= restarted).map((c) => c.reason)
    expect(reasons).toContain('unconfirmed')
    expect(reasons.at(-1)).toBe('primary')
    const serving = (await (await fetch(`${(s.agents.dc1 as ChildService).url}/serving`)).json()) as {
      confirmed: { by: string }
    }
    expect(serving.confirmed.by).toBe('gateway')
  })
})
