import { describe, expect, it, vi } from 'vitest'
import { ReplicatedStorage } from '../storage.ts'
import { TokenStore } from './token-store.ts'

function cluster(rootToken: string) {
  const storage = new ReplicatedStorage()
  const tokens = new TokenStore(storage)
  tokens.initialise(rootToken)
  return { storage, tokens }
}

describe('TokenStore', () => {
  it('keeps service tokens in replicated storage', () => {
    const primary = cluster('root-1')
    const secondary = cluster('root-2')
    const service = primary.tokens.create({ policies: ['ops'] })
    expect(service.id).toMatch(/^hvs\.[A-Za-z0-9]{24}$/)
    expect(service.policies).toEqual(['default', 'ops'])
    secondary.storage.restore(primary.storage.snapshot())
    expect(secondary.tokens.lookup(service.id)?.policies).toEqual(['default', 'ops'])
    expect(secondary.tokens.lookup('root-1')?.policies).toEqual(['root'])
    expect(secondary.tokens.lookup('root-2')).toBeUndefined()
  })

  it('validates batch tokens with the keyring, so they work wherever the keyring was replicated', () => {
    const primary = cluster('root-1')
    const stranger = cluster('root-3')
    const batch = primary.tokens.create({ policies: ['dr'], type: 'batch', ttlSeconds: 3600 })
    expect(batch.id).toMatch(/^hvb\.[A-Za-z0-9_-]+$/)
    expect(batch.id.split('.')).toHaveLength(2)
    expect(primary.tokens.lookup(batch.id)?.policies).toEqual(['default', 'dr'])
    expect(stranger.tokens.lookup(batch.id)).toBeUndefined()
    stranger.storage.restore(primary.storage.snapshot())
    expect(stranger.tokens.lookup(batch.id)?.type).toBe('batch')
    // One character of the MAC changed (not the last: its low bits are padding, and may not count).
    const at = batch.id.length - 10
    const other = batch.id[at] === 'A' ? 'B' : 'A'
    expect(primary.tokens.lookup(`${batch.id.slice(0, at)}${other}${batch.id.slice(at + 1)}`)).toBeUndefined()
  })

  it('gives tokens the default lease TTL (768 h) unless one is given, and root tokens none', () => {
    const { tokens } = cluster('root')
    expect(tokens.create({ policies: ['ops'] }).ttl).toBe(768 * 3600)
    expect(tokens.create({ policies: ['ops'], type: 'batch' }).ttl).toBe(768 * 3600)
    expect(tokens.create({ policies: ['ops'], ttlSeconds: 60 }).ttl).toBe(60)
    expect(tokens.create({ policies: ['root'] })).toMatchObject({ ttl: 0, expireTime: 0 })
    expect(tokens.lookup('root')).toMatchObject({ ttl: 0, expireTime: 0 })
  })

  it('expires tokens at their TTL', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') })
    try {
      const { tokens } = cluster('root')
      const service = tokens.create({ ttlSeconds: 60 })
      const batch = tokens.create({ ttlSeconds: 60, type: 'batch' })
      expect(tokens.lookup(service.id)).toBeDefined()
      vi.setSystemTime(new Date('2030-01-01T00:01:00Z'))
      expect(tokens.lookup(service.id)).toBeUndefined()
      expect(tokens.lookup(batch.id)).toBeUndefined()
      expect(tokens.lookup('root')).toBeDefined()
    } finally {
      vi.useRealTimers()
    }
  })
})
