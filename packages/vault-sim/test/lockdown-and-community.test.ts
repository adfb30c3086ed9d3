import { describe, expect, it } from 'vitest'
import { replicate, useClusters } from './helpers/clusters.ts'
import { vault } from './helpers/vault-http.ts'

const PATH_DISABLED = 'path disabled in replication DR secondary mode'

describe('DR-secondary lockdown', () => {
  const start = useClusters()

  it('refuses normal paths with 400 even with a valid token, and serves the status paths', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const token = primary.rootToken // adopted by the secondary
    const refused = [
      ['GET', '/v1/sys/policies/acl/default'],
      ['PUT', '/v1/sys/policies/acl/x'],
      ['GET', '/v1/auth/token/lookup-self'],
      ['POST', '/v1/auth/token/create'],
      ['POST', '/v1/sys/wrapping/lookup'],
      ['GET', '/v1/secret/data/anything'],
    ] as const
    for (const [method, path] of refused) {
      const r = await vault(method, `${secondary.apiUrl}${path}`, { token, body: method === 'GET' ? undefined : {} })
      expect(r.status, path).toBe(400)
      expect(r.body.errors, path).toEqual([PATH_DISABLED])
    }
    for (const path of [
      '/v1/sys/replication/status',
      '/v1/sys/replication/dr/status',
      '/v1/sys/leader',
      '/v1/sys/seal-status',
    ]) {
      expect((await vault('GET', `${secondary.apiUrl}${path}`)).status, path).toBe(200)
    }
    const status = await vault('GET', `${secondary.apiUrl}/v1/sys/replication/status`)
    expect(status.body.data).toMatchObject({ dr: { mode: 'secondary' }, performance: { mode: 'disabled' } })
  })

  it('answers unknown paths with 404 on a normal cluster', async () => {
    const cluster = await start({ name: 'dc1' })
    const r = await vault('GET', `${cluster.apiUrl}/v1/no/such/path`, { token: cluster.rootToken })
    expect(r.status).toBe(404)
    expect(r.body.errors).toHaveLength(1)
  })
})

describe('Community Edition mode', () => {
  const start = useClusters()

  it('stubs every replication path with 404 enterprise-only feature', async () => {
    const cluster = await start({ name: 'ce', enterprise: false, version: '1.17.3+ent' })
    for (const path of [
      'sys/replication/dr/status',
      'sys/replication/dr/primary/enable',
      'sys/replication/dr/primary/secondary-token',
      'sys/replication/dr/secondary/enable',
      'sys/replication/dr/secondary/promote',
    ]) {
      const method = path.endsWith('status') ? 'GET' : 'POST'
      const r = await vault(method, `${cluster.apiUrl}/v1/${path}`, {
        token: cluster.rootToken,
        body: method === 'GET' ? undefined : {},
      })
      expect(r.status, path).toBe(404)
      expect(r.body.errors, path).toEqual(['enterprise-only feature'])
    }
    const replication = await vault('GET', `${cluster.apiUrl}/v1/sys/replication/status`)
    expect(replication.status).toBe(200)
    expect(replication.body.data).toEqual({ mode: 'disabled' })
    const health = await vault('GET', `${cluster.apiUrl}/v1/sys/health`)
    expect(health.body).toMatchObject({ enterprise: false, version: '1.17.3' })
    expect(health.body.license).toBeUndefined()
  })

  it('switches at run time', async () => {
    const cluster = await start({ name: 'dc1' })
    cluster.faults.setEnterprise(false)
    expect((await vault('GET', `${cluster.apiUrl}/v1/sys/replication/dr/status`)).status).toBe(404)
    cluster.faults.setEnterprise(true)
    const status = await vault('GET', `${cluster.apiUrl}/v1/sys/replication/dr/status`)
    expect(status.status).toBe(200)
    expect(status.body.data).toEqual({ mode: 'disabled' })
  })
})
