import type { ClusterHandle } from '@vault-dr/vault-sim'
import { expect } from 'vitest'
import { type SwitchStack, startWriteSampler, until } from '../e2e/switchover-stack.ts'

/**
 * Brings a failed-over primary's site back while writes are sampled on every cluster: how long it took writes before
 * it was demoted (ms from its return), and how many of the sampler's writes it accepted meanwhile. Checks that no
 * write round begun after the demote was accepted there, and that it takes none afterwards either.
 */
export async function returnAndMeasureDemote(
  s: SwitchStack,
  returning: ClusterHandle,
): Promise<{ windowMs: number; acceptedBeforeDemote: number }> {
  const sampler = startWriteSampler(s)
  const name = Object.entries(s.clusters).find(([, c]) => c === returning)?.[0] as string
  const back = Date.now()
  await returning.faults.rejoin()
  await until(`${name} demoted`, 10_000, () => returning.state().drMode === 'secondary')
  const windowMs = Date.now() - back
  const demotedRound = sampler.rounds()
  // The round under way may have been accepted before the demote; none begun after it may be.
  await sampler.flush()
  expect(sampler.acceptedFrom(name, demotedRound)).toEqual([])
  const acceptedBeforeDemote = sampler.accepted[name]?.length ?? 0
  await until('a few rounds more', 5_000, () => sampler.rounds() > demotedRound + 10)
  await sampler.stop()
  expect(sampler.accepted[name]?.length ?? 0).toBe(acceptedBeforeDemote)
  return { windowMs, acceptedBeforeDemote }
}
