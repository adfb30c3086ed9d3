import { normalizeFingerprint } from '@vault-dr/core'
import { type ClusterHandle, testTimings } from '@vault-dr/vault-sim'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { API_TOKEN, startPrimaryAgent, startTestCluster } from './helpers.ts'

let cluster: ClusterHandle
let agent: Awaited<ReturnType<typeof startPrimaryAgent>>

beforeEach(async () => {
  cluster = await startTestCluster({ rootToken: 'root-token-primary-test' })
  agent = await startPrimaryAgent(cluster)
})
afterEach(async () => {
  await agent.close()
  await cluster.close()
})

describe('getPrimaryStatus', () => {
  it('reports a reachable Enterprise Vault with DR disabled', async () => {
    const res = await agent.call('GET', '/v1/status')
    expect(res.status).toBe(200)
    expect(res.json.vault).toMatchObject({ reachable: true, sealed: false, enterprise: true, ha_role: 'active' })
    expect(res.json.vault.version).toMatch(/\+ent/)
    expect(res.json.replication).toMatchObject({ mode: 'disabled', known_secondaries: [], secondaries: [] })
  })

  it('shares one Vault round trip among concurrent requests', async () => {
    const shared = await startPrimaryAgent(cluster, { VAULT_DR_STATUS_CACHE_MS: '1000' })
    try {
      const answers = await Promise.all(Array.from({ length: 25 }, () => shared.call('GET', '/v1/status')))
      expect(answers.every((a) => a.status === 200)).toBe(true)
      const metrics = (await shared.app.inject({ url: '/metrics' })).body
      const healthCalls = /vault_dr_vault_call_duration_seconds_count\{[^}]*path="sys\/health"[^}]*\} (\d+)/.exec(
        metrics,
      )
      expect(Number(healthCalls?.[1])).toBe(1)
    } finally {
      await shared.close()
    }
  })

  it("with secondary_id, lists only that secondary's entries; a malformed id is a 400 naming the field", async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    for (const id of ['dc2', 'dc3']) {
      const res = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: id, ttl: '5m' })
      expect(res.status).toBe(201)
    }
    const all = await agent.call('GET', '/v1/status?max_age_ms=0')
    expect([...all.json.replication.known_secondaries].sort()).toEqual(['dc2', 'dc3'])
    const one = await agent.call('GET', '/v1/status?max_age_ms=0&secondary_id=dc3')
    expect(one.status).toBe(200)
    expect(one.json.replication).toMatchObject({ mode: 'primary', known_secondaries: ['dc3'] })
    expect(one.json.replication.cluster_id).toBe(all.json.replication.cluster_id)
    const none = await agent.call('GET', '/v1/status?secondary_id=dc9')
    expect(none.json.replication.known_secondaries).toEqual([])
    const bad = await agent.call('GET', '/v1/status?secondary_id=no%20spaces')
    expect(bad.status).toBe(400)
    expect(bad.json.detail).toContain('secondary_id')
  })

  it('reports a sealed Vault, and readiness fails', async () => {
    cluster.faults.seal()
    const res = await agent.call('GET', '/v1/status')
    expect(res.json.vault.sealed).toBe(true)
    expect((await agent.app.inject({ url: '/readyz' })).statusCode).toBe(503)
  })
})

const vaultCalls = async (app: typeof agent.app, path: string) => {
  const metrics = (await app.inject({ url: '/metrics' })).body
  const line = new RegExp(`vault_dr_vault_call_duration_seconds_count\\{[^}]*path="${path}"[^}]*\\} (\\d+)`)
  return Number(line.exec(metrics)?.[1] ?? 0)
}

describe('enableDrPrimary', () => {
  it("reuses the status read just before as enable's guard; mint reads none, and Vault's refusal is explained", async () => {
    // A Vault that is a running primary again at once after enabling, so one poll sees it.
    await agent.close()
    await cluster.close()
    cluster = await startTestCluster({
      rootToken: 'root-token-primary-test',
      timings: { ...testTimings, restartMs: 0 },
    })
    agent = await startPrimaryAgent(cluster)
    await agent.call('GET', '/v1/status?max_age_ms=0')
    expect((await agent.call('POST', '/v1/dr/primary/enable', {})).status).toBe(200)
    const minted = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2', ttl: '5m' })
    expect(minted.status).toBe(201)
    // One read before, one poll after enabling; none for enable's guard nor for minting.
    expect(await vaultCalls(agent.app, 'sys/replication/dr/status')).toBe(2)
    const again = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2', ttl: '5m' })
    expect(again.status).toBe(409)
    expect(again.json.code).toBe('PRIMARY_ERR_SECONDARY_EXISTS')
  })

  it('enables once, then changes nothing', async () => {
    const first = await agent.call('POST', '/v1/dr/primary/enable', {})
    expect(first.status).toBe(200)
    expect(first.json).toMatchObject({ changed: true, status: { replication: { mode: 'primary', state: 'running' } } })
    expect(first.json.warnings.join(' ')).toMatch(/enabled as a primary/)
    const clusterId = first.json.status.replication.cluster_id
    expect(clusterId).toEqual(expect.any(String))

    const second = await agent.call('POST', '/v1/dr/primary/enable', {})
    expect(second.status).toBe(200)
    expect(second.json).toMatchObject({ changed: false })
    expect(second.json.status.replication.cluster_id).toBe(clusterId)
  })

  it('answers a Community Edition Vault with a coded error', async () => {
    cluster.faults.setEnterprise(false)
    const res = await agent.call('POST', '/v1/dr/primary/enable', {})
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json.code).toMatch(/ENTERPRISE|PRIMARY_ERR_VAULT_UNAVAILABLE/)
  })

  it('on a DR primary, answers 409 to another primary_cluster_addr and 200 changed: false to the same or none', async () => {
    const addr = 'https://vault-dr-lb.dc1.example:8201'
    expect((await agent.call('POST', '/v1/dr/primary/enable', { primary_cluster_addr: addr })).status).toBe(200)
    expect(cluster.state().drStatus.primary_cluster_addr).toBe(addr)

    const other = await agent.call('POST', '/v1/dr/primary/enable', { primary_cluster_addr: 'https://10.0.0.9:8201' })
    expect(other.status).toBe(409)
    expect(other.headers['content-type']).toContain('application/problem+json')
    expect(other.json.code).toBe('PRIMARY_ERR_CLUSTER_ADDR_DIFFERS')
    expect(other.json.detail).toContain(addr)
    expect(other.json.detail).toContain('https://10.0.0.9:8201')
    expect(other.json.fix).toContain('primary_cluster_addr')
    expect(cluster.state().drStatus.primary_cluster_addr).toBe(addr)

    for (const body of [{ primary_cluster_addr: addr }, { primary_cluster_addr: `${addr}/` }, {}]) {
      const same = await agent.call('POST', '/v1/dr/primary/enable', body)
      expect({ body, status: same.status, changed: same.json.changed }).toEqual({ body, status: 200, changed: false })
    }
  })

  it('on a DR primary enabled without primary_cluster_addr, answers 409 to one now', async () => {
    expect((await agent.call('POST', '/v1/dr/primary/enable', {})).status).toBe(200)
    const res = await agent.call('POST', '/v1/dr/primary/enable', { primary_cluster_addr: 'https://10.0.0.9:8201' })
    expect(res.status).toBe(409)
    expect(res.json.code).toBe('PRIMARY_ERR_CLUSTER_ADDR_DIFFERS')
    expect(cluster.state().drStatus.primary_cluster_addr).toBe('')
  })

  it('rejects a primary_cluster_addr that is not a URL', async () => {
    const res = await agent.call('POST', '/v1/dr/primary/enable', { primary_cluster_addr: 'not a url' })
    expect(res.status).toBe(400)
    expect(res.json.detail).toContain('body/primary_cluster_addr')
    expect((await agent.call('GET', '/v1/status')).json.replication.mode).toBe('disabled')
  })
})

describe('createSecondaryToken and revokeSecondary', () => {
  it('refuses to mint on a cluster that is not a DR primary', async () => {
    const res = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
    expect(res.status).toBe(409)
    expect(res.json.code).toBe('PRIMARY_ERR_NOT_PRIMARY')
  })

  it('mints a token once, with its non-secret claims, and never logs it', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    const before = Date.now()
    const res = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2', ttl: '10m' })
    expect(res.status).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    const { token, claims, expires_at, secondary_id } = res.json
    expect(secondary_id).toBe('dc2')
    expect(token.split('.')).toHaveLength(3)
    expect(claims).toMatchObject({ addr: cluster.apiUrl, type: 'wrapping' })
    expect(claims.exp - claims.iat).toBe(600)
    expect(claims).not.toHaveProperty('jti')
    expect(Math.abs(Date.parse(expires_at) - (before + 600_000))).toBeLessThan(5_000)

    const status = await agent.call('GET', '/v1/status')
    expect(status.json.replication.known_secondaries).toContain('dc2')

    const again = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
    expect(again.status).toBe(409)
    expect(again.json.code).toBe('PRIMARY_ERR_SECONDARY_EXISTS')

    const jti = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti as string
    const logs = agent.logs.text()
    for (const secret of [token, jti, cluster.rootToken, API_TOKEN]) expect(logs).not.toContain(secret)
  })

  it('revokes an id, and revoking it again changes nothing', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc3' })
    const first = await agent.call('POST', '/v1/dr/primary/revoke-secondary', { secondary_id: 'dc3' })
    expect(first.json).toMatchObject({ secondary_id: 'dc3', revoked: true })
    expect((await agent.call('GET', '/v1/status')).json.replication.known_secondaries).not.toContain('dc3')
    const second = await agent.call('POST', '/v1/dr/primary/revoke-secondary', { secondary_id: 'dc3' })
    expect(second.json).toMatchObject({ secondary_id: 'dc3', revoked: false })
  })

  it.each([
    [{ secondary_id: '../sys/seal' }, 'body/secondary_id'],
    [{ secondary_id: 'dc2/extra' }, 'body/secondary_id'],
    [{ secondary_id: '' }, 'body/secondary_id'],
    [{ secondary_id: 'dc2', ttl: 'forever' }, 'body/ttl'],
    [{ secondary_id: 'dc2', ttl: '999h' }, 'body/ttl'],
    [{}, 'body/secondary_id'],
  ])('rejects %j naming the field, and mints nothing', async (body, field) => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    const res = await agent.call('POST', '/v1/dr/primary/secondary-token', body)
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('CORE_ERR_VALIDATION')
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(field)
    expect((await agent.call('GET', '/v1/status')).json.replication.known_secondaries).toEqual([])
  })

  it.each([
    ['/v1/dr/primary/secondary-token', { secondary_id: 'dc2', bogus: 1 }, 'bogus'],
    ['/v1/dr/primary/secondary-token', { secondary_id: 'dc2', tll: '1h' }, 'tll'],
    ['/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2', forse: true }, 'forse'],
    ['/v1/dr/primary/enable', { primary_cluster_adr: 'https://10.0.0.9:8201' }, 'primary_cluster_adr'],
  ])('rejects an unknown field in %s %j, naming it, and changes nothing', async (url, body, field) => {
    if (!url.endsWith('/enable')) await agent.call('POST', '/v1/dr/primary/enable', {})
    const mode = cluster.state().drMode
    const res = await agent.call('POST', url, body)
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json.code).toBe('CORE_ERR_VALIDATION')
    expect(res.json.detail).toContain(field)
    expect(res.json.errors.map((e: { message: string }) => e.message).join(' ')).toContain(field)
    expect(cluster.state()).toMatchObject({ drMode: mode, knownSecondaries: [] })
  })

  it('needs the bearer token', async () => {
    const res = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' }, null)
    expect(res.status).toBe(401)
    expect(res.json.code).toBe('CORE_ERR_UNAUTHORIZED')
  })

  it('refuses an oversized body', async () => {
    const res = await agent.call('POST', '/v1/dr/primary/revoke-secondary', { secondary_id: 'x'.repeat(200_000) })
    expect(res.status).toBe(413)
  })
})

describe('probeLocalCluster', () => {
  it('says DR is not served before enabling, and reports the fingerprint after', async () => {
    const before = await agent.call('POST', '/v1/probes/local')
    expect(before.status).toBe(200)
    expect(before.json.ok).toBe(false)
    expect(before.json.cluster).toMatchObject({ code: 'DR_NOT_ENABLED', reachable: true, dr_alpn: false })
    expect(before.json.advertised.cluster_addr).toBe(cluster.clusterUrl)

    await agent.call('POST', '/v1/dr/primary/enable', {})
    const after = await agent.call('POST', '/v1/probes/local')
    expect(after.json.ok).toBe(true)
    expect(after.json.cluster).toMatchObject({ code: 'OK', dr_alpn: true, alpn: 'replication_dr_v1' })
    expect(after.json.cluster.fingerprint_sha256).toBe(normalizeFingerprint(cluster.clusterCertFingerprint256))
    expect(after.json.api).toMatchObject({ reachable: true, health_code: 200 })
  })

  it('reports a cluster address Vault advertises that cannot be dialled, as a diagnosis (not a 500)', async () => {
    const odd = await startTestCluster({ rootToken: 'root-token-odd', clusterAdvertiseAddr: 'not an address' })
    const oddAgent = await startPrimaryAgent(odd)
    try {
      const res = await oddAgent.call('POST', '/v1/probes/local')
      expect(res.status).toBe(200)
      expect(res.json.ok).toBe(false)
      expect(res.json.cluster).toMatchObject({ code: 'BAD_CLUSTER_ADDR', reachable: false })
      expect(res.json.cluster.fix).toContain('cluster_addr')
    } finally {
      await oddAgent.close()
      await odd.close()
    }
  })

  it('shares one self-check among concurrent callers (a fleet preflighting at once)', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    const answers = await Promise.all(Array.from({ length: 20 }, () => agent.call('POST', '/v1/probes/local')))
    expect(answers.every((a) => a.status === 200 && a.json.ok === true)).toBe(true)
    const metrics = (await agent.app.inject({ url: '/metrics' })).body
    const leaderCalls = /vault_dr_vault_call_duration_seconds_count\{[^}]*path="sys\/leader"[^}]*\} (\d+)/.exec(metrics)
    expect(Number(leaderCalls?.[1])).toBe(1)
  })

  it('reports a closed cluster port as refused', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    await cluster.faults.closeClusterListener()
    const res = await agent.call('POST', '/v1/probes/local')
    expect(res.json.ok).toBe(false)
    expect(res.json.cluster).toMatchObject({ code: 'CONNECTION_REFUSED', reachable: false })
  })
})

describe('revokeSecondary of an id a secondary is connected with', () => {
  it('refuses without force (nothing changes), and revokes with force', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    const minted = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
    const dc2 = await startTestCluster({ name: 'dc2', timings: { heartbeatMs: 20, reconnectMs: 20 } })
    try {
      const activated = await fetch(`${dc2.apiUrl}/v1/sys/replication/dr/secondary/enable`, {
        method: 'POST',
        headers: { 'x-vault-token': dc2.rootToken },
        body: JSON.stringify({ token: minted.json.token }),
      })
      expect(activated.status).toBe(200)
      const deadline = Date.now() + 10_000
      while (!cluster.state().connectedSecondaries.includes('dc2')) {
        if (Date.now() > deadline) throw new Error('dc2 never connected')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const refused = await agent.call('POST', '/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2' })
      expect(refused.status).toBe(409)
      expect(refused.json.code).toBe('PRIMARY_ERR_SECONDARY_CONNECTED')
      expect(cluster.state().knownSecondaries).toEqual(['dc2'])

      const forced = await agent.call('POST', '/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2', force: true })
      expect(forced.json).toMatchObject({ secondary_id: 'dc2', revoked: true })
      expect(cluster.state().knownSecondaries).toEqual([])
    } finally {
      await dc2.close()
    }
  })
})

describe('GET /v1/status?max_age_ms', () => {
  it.each(['', '1e3', '0x10', '1.5', '-1', '60001'])(
    'refuses %j with 400 naming querystring/max_age_ms',
    async (value) => {
      const res = await agent.call('GET', `/v1/status?max_age_ms=${value}`)
      expect(res.status).toBe(400)
      expect(res.json).toMatchObject({ code: 'CORE_ERR_VALIDATION', errors: [{ path: 'querystring/max_age_ms' }] })
    },
  )

  it('takes digits', async () => {
    expect((await agent.call('GET', '/v1/status?max_age_ms=0&secondary_id=dc2')).status).toBe(200)
  })
})
