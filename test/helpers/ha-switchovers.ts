import { expect } from 'vitest'
import {
  kvRead,
  type Operation,
  type SwitchStack,
  startSwitchStack,
  type startWriteSampler,
} from '../e2e/switchover-stack.ts'

/** Short, so the surviving gateway takes over within seconds; renewed every third of it. */
export const LEASE_MS = 1_500
/** Added to every Vault answer: each step makes a few calls, so a switchover takes a few seconds. */
export const LATENCY_MS = 100

/** The pair dc1 -> dc2 with two gateways (gateway-1, gateway-2) sharing a three-member etcd, on a short lease. */
export async function startTwoGateways(secrets: string[]): Promise<SwitchStack> {
  const stack = await startSwitchStack({
    store: 'etcd',
    gateways: 2,
    latencyMs: LATENCY_MS,
    gatewayEnv: { VAULT_DR_LEASE_MS: String(LEASE_MS) },
  })
  secrets.push(...stack.secrets)
  return stack
}

/** The cluster that is the DR primary now (`from`), and the other (`to`). */
export function roles(stack: SwitchStack): { from: string; to: string } {
  const primaries = Object.entries(stack.clusters).filter(([, c]) => c.state().drMode === 'primary')
  expect(primaries.map(([n]) => n)).toHaveLength(1)
  const from = primaries[0]?.[0] as string
  return { from, to: from === 'dc1' ? 'dc2' : 'dc1' }
}

export function setLatency(stack: SwitchStack, ms: number): void {
  for (const c of Object.values(stack.clusters)) c.faults.setLatency(ms)
}

/** What the clusters did since `from` (an index in simEvents), counted by the change. */
export function changesSince(stack: SwitchStack, from: number) {
  const events = stack.simEvents.slice(from)
  const count = (what: string) => events.filter((e) => e.includes(what)).length
  return {
    demoted: count('demoted to secondary'),
    promoted: count('promoted to primary'),
    repointed: count('re-pointed to a new primary'),
    activated: count('enabled as secondary'),
    /** Activation tokens minted, and those revoked again (a resumed step replaces one minted and never used). */
    minted: count('issued an activation token') - count('revoked secondary'),
  }
}

/**
 * A switchover that ended with `to` the one primary and `from` streaming from it, each role change made once, no
 * round of the sampler in which both clusters took a write, and every write either took on the new primary.
 */
export async function expectOneCleanSwitchover(
  stack: SwitchStack,
  done: Operation,
  legs: { from: string; to: string },
  eventsFrom: number,
  sampler: ReturnType<typeof startWriteSampler>,
): Promise<void> {
  expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
  expect(done.result).toMatchObject({ wals_lost: 0 })
  const [from, to] = [stack.clusters[legs.from], stack.clusters[legs.to]]
  if (from === undefined || to === undefined) throw new Error(`no cluster ${legs.from} or ${legs.to}`)
  expect(Object.values(stack.clusters).filter((c) => c.state().drMode === 'primary')).toEqual([to])
  expect(from.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: legs.from })
  expect(changesSince(stack, eventsFrom)).toEqual({ demoted: 1, promoted: 1, repointed: 1, activated: 0, minted: 1 })
  expect(sampler.doubles).toEqual([])
  const accepted = Object.values(sampler.accepted).flat()
  expect(accepted.length).toBeGreaterThan(0)
  // Read back without the added latency, all at once.
  setLatency(stack, 0)
  const read = await Promise.all(accepted.map((path) => kvRead(to, stack.rootToken, path)))
  setLatency(stack, LATENCY_MS)
  expect(read).toEqual(accepted)
}
