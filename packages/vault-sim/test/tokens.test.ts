import { describe, expect, it } from 'vitest'
import { useClusters } from './helpers/clusters.ts'
import { vault } from './helpers/vault-http.ts'

const DEFAULT_LEASE_TTL = 768 * 3600

describe('auth/token/create', () => {
  const start = useClusters()

  it('gives service tokens the default lease TTL (768 h) unless a ttl is given; root tokens never expire', async () => {
    const cluster = await start({ name: 'dc1' })
    const create = (body: Record<string, unknown>) =>
      vault('POST', `${cluster.apiUrl}/v1/auth/token/create`, { token: cluster.rootToken, body })
    const lookupSelf = (token: string) =>
      vault('GET', `${cluster.apiUrl}/v1/auth/token/lookup-self`, { token }).then((r) => r.body.data ?? {})

    const service = await create({ policies: ['default'] })
    expect(service.body.auth).toMatchObject({ token_type: 'service', lease_duration: DEFAULT_LEASE_TTL })
    const looked = await lookupSelf(service.body.auth?.client_token ?? '')
    expect(looked).toMatchObject({ creation_ttl: DEFAULT_LEASE_TTL, expire_time: expect.any(String) })
    expect(looked.ttl).toBeGreaterThan(DEFAULT_LEASE_TTL - 60)

    expect((await create({ policies: ['default'], ttl: '1h' })).body.auth).toMatchObject({ lease_duration: 3600 })
    expect((await create({ type: 'batch', policies: ['default'] })).body.auth).toMatchObject({
      lease_duration: DEFAULT_LEASE_TTL,
    })
    expect((await create({})).body.auth).toMatchObject({ policies: ['root'], lease_duration: 0 })
    expect(await lookupSelf(cluster.rootToken)).toMatchObject({ creation_ttl: 0, expire_time: null, ttl: 0 })
  })
})
