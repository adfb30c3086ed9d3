import { describe, expect, it } from 'vitest'
import { FakeWorld } from '../../test/helpers/fake-agents.ts'
import { activatedWith, type PairStatus, secondaryIdUse } from './pair-status.ts'

async function pairOf(world: FakeWorld): Promise<PairStatus> {
  const signal = new AbortController().signal
  return {
    primary: await world.primaryClient().status(signal),
    secondary: await world.secondaryClient().status(signal),
  }
}

describe('where a secondary id stands', () => {
  it('counts a replicating secondary as activated with its id', async () => {
    const world = new FakeWorld()
    world.replicate('dc2')
    const pair = await pairOf(world)
    expect(activatedWith(pair, 'dc2')).toBe(true)
    expect(secondaryIdUse(pair, 'dc2')).toBe('ours')
  })

  it('does not count a revoked secondary as activated: it keeps its id, but the primary forgot it', async () => {
    const world = new FakeWorld()
    world.replicate('dc2')
    world.knownSecondaries.delete('dc2')
    world.peers.delete('dc2')
    world.connected.delete('dc2')
    const pair = await pairOf(world)
    expect(pair.secondary.replication?.secondary_id).toBe('dc2')
    expect(activatedWith(pair, 'dc2')).toBe(false)
    expect(secondaryIdUse(pair, 'dc2')).toBe('free')
  })

  it('never calls an id unused while the secondary cannot report its DR status (Vault busy bootstrapping)', async () => {
    const world = new FakeWorld()
    world.primary = { ...world.primary, mode: 'primary', state: 'running', clusterId: 'set-1' }
    world.knownSecondaries.add('dc2')
    const pair = await pairOf(world)
    expect(secondaryIdUse(pair, 'dc2')).toBe('unused')

    const unreadable = { ...pair.secondary, replication: null }
    expect(secondaryIdUse({ ...pair, secondary: unreadable }, 'dc2')).toBe('settling')
    const unreachable = { ...pair.secondary, vault: { ...pair.secondary.vault, reachable: false } }
    expect(secondaryIdUse({ ...pair, secondary: unreachable }, 'dc2')).toBe('settling')
    const sealed = { ...pair.secondary, vault: { ...pair.secondary.vault, sealed: true } }
    expect(secondaryIdUse({ ...pair, secondary: sealed }, 'dc2')).toBe('settling')
    const healthSaysDr = { ...pair.secondary, vault: { ...pair.secondary.vault, dr_mode: 'bootstrapping' } }
    expect(secondaryIdUse({ ...pair, secondary: healthSaysDr }, 'dc2')).toBe('settling')
  })
})
