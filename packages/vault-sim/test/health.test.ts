import { describe, expect, it } from 'vitest'
import { fastTimings, replicate, useClusters, waitForHealth } from './helpers/clusters.ts'
import { vault } from './helpers/vault-http.ts'

describe('sys/health, sys/seal-status, sys/leader', () => {
  const start = useClusters()

  it('answers 200 on an active node, with Vault health fields', async () => {
    const cluster = await start({ name: 'dc1', version: '1.17.3+ent' })
    const health = await vault('GET', `${cluster.apiUrl}/v1/sys/health`)
    expect(health.status).toBe(200)
    expect(health.body).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      version: '1.17.3+ent',
      enterprise: true,
      cluster_name: 'dc1',
      cluster_id: expect.any(String),
      last_wal: expect.any(Number),
      license: expect.objectContaining({ terminated: false }),
      server_time_utc: expect.any(Number),
    })
    const head = await vault('HEAD', `${cluster.apiUrl}/v1/sys/health`)
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
  })

  it('reports by default a version that has every health field it sends (1.21, fact sheet P7)', async () => {
    const cluster = await start({ name: 'dc1' })
    const health = await vault('GET', `${cluster.apiUrl}/v1/sys/health?removedcode=299&haunhealthycode=299`)
    expect(health.status).toBe(200)
    expect(health.body).toMatchObject({ version: '1.21.0+ent', removed_from_cluster: false })
    const seal = await vault('GET', `${cluster.apiUrl}/v1/sys/seal-status`)
    expect(seal.body).toMatchObject({ version: '1.21.0+ent', removed_from_cluster: false })
  })

  it('honours the code query parameters and rejects non-integers with 400 and an empty errors array (D14)', async () => {
    const cluster = await start({ name: 'dc1' })
    const health = (query: string) => vault('GET', `${cluster.apiUrl}/v1/sys/health?${query}`)
    expect((await health('activecode=299')).status).toBe(299)
    expect((await health('standbyok=true&perfstandbyok=true')).status).toBe(200)
    expect((await health('activecode=%2B299')).status).toBe(299)
    for (const query of ['activecode=abc', 'sealedcode=5xx', 'drsecondarycode=1.5', 'standbyok=maybe']) {
      const r = await health(query)
      expect(r.status, query).toBe(400)
      expect(r.body, query).toEqual({ errors: [] })
    }
    expect((await vault('HEAD', `${cluster.apiUrl}/v1/sys/health?uninitcode=nope`)).status).toBe(400)
  })

  it('answers 503 when sealed (sealedcode overrides) and 501 when uninitialised', async () => {
    const cluster = await start({ name: 'dc1' })
    cluster.faults.seal()
    const sealed = await vault('GET', `${cluster.apiUrl}/v1/sys/health`)
    expect(sealed.status).toBe(503)
    expect(sealed.body.sealed).toBe(true)
    expect(sealed.body.cluster_id).toBeUndefined()
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/health?sealedcode=299`)).status).toBe(299)
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/seal-status`)).body).toMatchObject({
      sealed: true,
      t: 1,
      n: 1,
    })
    const other = await vault('GET', `${cluster.apiUrl}/v1/sys/replication/dr/status`)
    expect(other.status).toBe(503)
    expect(other.body.errors).toEqual(['Vault is sealed'])
    const authed = await vault('GET', `${cluster.apiUrl}/v1/auth/token/lookup-self`, { token: cluster.rootToken })
    expect(authed.status).toBe(503)
    cluster.faults.unseal()
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/health`)).status).toBe(200)

    cluster.faults.setInitialized(false)
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/health`)).status).toBe(501)
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/health?uninitcode=200`)).status).toBe(200)
  })

  it('reports a sealed node as a standby of unknown replication modes, with no identity or last_wal', async () => {
    const cluster = await start({ name: 'dc1' })
    const enable = await vault('POST', `${cluster.apiUrl}/v1/sys/replication/dr/primary/enable`, {
      token: cluster.rootToken,
    })
    expect(enable.status).toBe(200)
    await waitForHealth(cluster, 200)
    cluster.faults.seal()
    const sealed = await vault('GET', `${cluster.apiUrl}/v1/sys/health`)
    expect(sealed.status).toBe(503)
    expect(sealed.body).toMatchObject({
      initialized: true,
      sealed: true,
      standby: true,
      performance_standby: false,
      replication_performance_mode: 'unknown',
      replication_dr_mode: 'unknown',
    })
    for (const key of ['cluster_name', 'cluster_id', 'last_wal']) expect(sealed.body, key).not.toHaveProperty(key)
    cluster.faults.unseal()
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/health`)).body).toMatchObject({
      standby: false,
      replication_dr_mode: 'primary',
      replication_performance_mode: 'disabled',
    })
  })

  it('reports last_wal only on an active node: not while there is no active node after a role change', async () => {
    const cluster = await start({ name: 'dc1', timings: { ...fastTimings, restartMs: 1_500 } })
    const enable = await vault('POST', `${cluster.apiUrl}/v1/sys/replication/dr/primary/enable`, {
      token: cluster.rootToken,
    })
    expect(enable.status).toBe(200)
    const during = await vault('GET', `${cluster.apiUrl}/v1/sys/health`)
    expect(during.status).toBe(429)
    expect(during.body).toMatchObject({ sealed: false, standby: true, cluster_name: 'dc1' })
    expect(during.body).not.toHaveProperty('last_wal')
    const active = await waitForHealth(cluster, 200)
    expect(active.body.last_wal).toEqual(expect.any(Number))
  })

  it('answers 472 on a DR secondary (drsecondarycode overrides)', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const health = await vault('GET', `${secondary.apiUrl}/v1/sys/health`)
    expect(health.status).toBe(472)
    expect(health.body.replication_dr_mode).toBe('secondary')
    expect((await vault('GET', `${secondary.apiUrl}/v1/sys/health?drsecondarycode=200`)).status).toBe(200)
    expect((await vault('HEAD', `${secondary.apiUrl}/v1/sys/health`)).status).toBe(472)
  })

  it('reports the leader addresses and seal status', async () => {
    const cluster = await start({ name: 'dc1' })
    const leader = await vault('GET', `${cluster.apiUrl}/v1/sys/leader`)
    expect(leader.status).toBe(200)
    expect(leader.body).toMatchObject({
      ha_enabled: true,
      is_self: true,
      leader_address: cluster.apiUrl,
      leader_cluster_address: cluster.clusterUrl,
      performance_standby: false,
    })
    const seal = await vault('GET', `${cluster.apiUrl}/v1/sys/seal-status`)
    expect(seal.body).toMatchObject({ type: 'shamir', initialized: true, sealed: false, cluster_name: 'dc1' })
  })

  it('adds the configured latency to every response', async () => {
    const cluster = await start({ name: 'dc1' })
    cluster.faults.setLatency(150)
    const began = performance.now()
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/health`)).status).toBe(200)
    expect(performance.now() - began).toBeGreaterThanOrEqual(140)
  })
})
