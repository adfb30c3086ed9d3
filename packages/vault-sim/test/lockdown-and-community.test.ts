import { describe, expect, it } from 'vitest'
import { replicate, useClusters, waitForCaughtUp } from './helpers/clusters.ts'
import { mintBatchDrToken } from './helpers/dr-tokens.ts'
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

  it('answers a served path asked with another operation 405, after the lockdown and the seal', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const wrongOperation = async (cluster: typeof primary, method: 'GET' | 'DELETE', path: string) => {
      const r = await vault(method, `${cluster.apiUrl}/v1/${path}`, { token: primary.rootToken })
      return [r.status, r.body.errors]
    }
    expect(await wrongOperation(primary, 'GET', 'sys/replication/dr/primary/enable')).toEqual([
      405,
      ['unsupported operation'],
    ])
    expect(await wrongOperation(primary, 'DELETE', 'sys/replication/dr/status')).toEqual([
      405,
      ['unsupported operation'],
    ])
    await replicate(primary, secondary)
    // Locked on a DR secondary before any operation is looked at; its own control paths get to the operation check.
    expect(await wrongOperation(secondary, 'GET', 'sys/replication/dr/primary/enable')).toEqual([400, [PATH_DISABLED]])
    expect(await wrongOperation(secondary, 'GET', 'sys/replication/dr/secondary/promote')).toEqual([
      405,
      ['unsupported operation'],
    ])
    primary.faults.seal()
    expect(await wrongOperation(primary, 'GET', 'sys/replication/dr/primary/demote')).toEqual([
      503,
      ['Vault is sealed'],
    ])
    expect(await wrongOperation(primary, 'DELETE', 'sys/seal-status')).toEqual([405, ['unsupported operation']])
  })

  it('answers the paths Vault has and vault-sim does not emulate 501, sealed or on a DR secondary alike', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    secondary.faults.seal()
    const unseal = await vault('PUT', `${secondary.apiUrl}/v1/sys/unseal`, { body: { key: primary.unsealKeys[0] } })
    expect([unseal.status, unseal.body.errors]).toEqual([501, ['not emulated by vault-sim']])
    secondary.faults.unseal()
    // Raft membership changes take a DR operation token on a DR secondary (in the body), as Vault's CLI sends it.
    const changes = ['remove-peer', 'promote', 'demote']
    const drToken = await mintBatchDrToken(primary, { paths: changes.map((c) => `sys/storage/raft/${c}`) })
    await waitForCaughtUp(primary, secondary)
    for (const change of changes) {
      const url = `${secondary.apiUrl}/v1/sys/storage/raft/${change}`
      const without = await vault('POST', url, { body: { server_id: 'x' } })
      expect(without.status, change).toBe(400)
      expect(without.body.errors, change).not.toEqual([PATH_DISABLED])
      const withToken = await vault('POST', url, { body: { server_id: 'x', dr_operation_token: drToken } })
      expect([withToken.status, withToken.body.errors], change).toEqual([501, ['not emulated by vault-sim']])
      const onPrimary = await vault('POST', `${primary.apiUrl}/v1/sys/storage/raft/${change}`, {
        token: primary.rootToken,
        body: { server_id: 'x' },
      })
      expect([onPrimary.status, onPrimary.body.errors], change).toEqual([501, ['not emulated by vault-sim']])
    }
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
