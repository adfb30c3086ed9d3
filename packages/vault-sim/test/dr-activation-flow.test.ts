import { describe, expect, it } from 'vitest'
import { drStatus, useClusters, waitForHealth } from './helpers/clusters.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

const WARN_PRIMARY_ENABLE =
  'This cluster is being enabled as a primary for replication. Vault will be unavailable for a brief period and will resume service shortly.'
const WARN_SECONDARY_ENABLE =
  'Vault has successfully found secondary information; it may take a while to perform setup tasks. Vault will be unavailable until these tasks and initial sync complete.'

function decodeSegment(segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

describe('DR activation, the four operator steps over plain HTTP', () => {
  const start = useClusters()

  it('enables a primary, mints and inspects a token for dc2, activates the secondary and streams WALs', async () => {
    const primary = await start({ name: 'dc1', rootToken: 'root-dc1' })
    const secondary = await start({ name: 'dc2', rootToken: 'root-dc2' })

    // 1. Enable the DR primary.
    const enable = await vault('POST', `${primary.apiUrl}/v1/sys/replication/dr/primary/enable`, { token: 'root-dc1' })
    expect(enable.status).toBe(200)
    expect(enable.body).toMatchObject({ data: null, wrap_info: null, auth: null, warnings: [WARN_PRIMARY_ENABLE] })
    const health = await waitForHealth(primary, 200)
    expect(health.body.replication_dr_mode).toBe('primary')

    // 2. Mint an activation token for dc2.
    const minted = await vault('PUT', `${primary.apiUrl}/v1/sys/replication/dr/primary/secondary-token`, {
      token: 'root-dc1',
      body: { id: 'dc2' },
    })
    expect(minted.status).toBe(200)
    expect(minted.body.data).toBeNull()
    const wrapInfo = minted.body.wrap_info
    expect(wrapInfo).toMatchObject({ ttl: 1800, creation_path: 'sys/replication/dr/primary/secondary-token' })
    expect(wrapInfo?.accessor).not.toBe('')
    const token = wrapInfo?.token ?? ''

    // 3. Inspect it without consuming it: decode the JWT, then sys/wrapping/lookup (unauthenticated).
    const [header, payload, signature] = token.split('.')
    expect(Buffer.from(header ?? '', 'base64url').toString()).toBe('{"alg":"ES512","typ":"JWT"}')
    expect(Buffer.from(signature ?? '', 'base64url')).toHaveLength(132)
    const claims = decodeSegment(payload)
    expect(Object.keys(claims)).toEqual(['accessor', 'addr', 'exp', 'iat', 'jti', 'nbf', 'type'])
    expect(claims).toMatchObject({ accessor: '', addr: primary.apiUrl, type: 'wrapping' })
    expect(claims.jti).toMatch(/^hvs\.[A-Za-z0-9]{24}$/)
    expect(claims.exp).toBe((claims.iat as number) + 1800)
    expect(claims.nbf).toBe((claims.iat as number) - 5)
    for (let i = 0; i < 2; i++) {
      const lookup = await vault('POST', `${primary.apiUrl}/v1/sys/wrapping/lookup`, { body: { token } })
      expect(lookup.status).toBe(200)
      expect(lookup.body.data).toEqual({
        creation_path: 'sys/replication/dr/primary/secondary-token',
        creation_time: wrapInfo?.creation_time,
        creation_ttl: 1800,
      })
    }
    expect((await drStatus(primary)).known_secondaries).toEqual(['dc2'])

    // 4. Activate the secondary with its own token.
    const activate = await vault('POST', `${secondary.apiUrl}/v1/sys/replication/dr/secondary/enable`, {
      token: 'root-dc2',
      body: { token, unknown_extra_field: true },
    })
    expect(activate.status).toBe(200)
    expect(activate.body.warnings).toEqual([WARN_SECONDARY_ENABLE])

    const streaming = await waitFor(
      () => drStatus(secondary),
      (s) => s.state === 'stream-wals',
      { what: 'stream-wals' },
    )
    const primaryStatus = await drStatus(primary)
    expect(streaming).toMatchObject({
      mode: 'secondary',
      connection_state: 'ready',
      secondary_id: 'dc2',
      cluster_id: primaryStatus.cluster_id,
      merkle_root: primaryStatus.merkle_root,
      known_primary_cluster_addrs: [primary.clusterUrl],
      primary_cluster_addr: primary.clusterUrl,
    })
    expect(streaming.primaries?.[0]).toMatchObject({
      api_address: primary.apiUrl,
      cluster_address: primary.clusterUrl,
      connection_status: 'connected',
    })
    expect(primaryStatus).toMatchObject({ mode: 'primary', state: 'running', known_secondaries: ['dc2'] })
    expect(primaryStatus.secondaries).toEqual([
      expect.objectContaining({
        node_id: 'dc2',
        connection_status: 'connected',
        api_address: secondary.apiUrl,
        cluster_address: secondary.clusterUrl,
        last_heartbeat: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      }),
    ])
    expect(await vault('GET', `${secondary.apiUrl}/v1/sys/health`).then((r) => r.status)).toBe(472)

    // Writes on the primary: last_remote_wal catches up with last_wal and the merkle roots match again.
    const before = primaryStatus.last_wal ?? 0
    for (const name of ['ops', 'audit', 'dr-secondary-promotion']) {
      const write = await vault('PUT', `${primary.apiUrl}/v1/sys/policies/acl/${name}`, {
        token: 'root-dc1',
        body: { policy: `path "secret/${name}/*" { capabilities = ["read"] }` },
      })
      expect(write.status).toBe(204)
    }
    const after = await drStatus(primary)
    expect(after.last_wal).toBe(before + 3)
    expect(after.last_dr_wal).toBe(after.last_wal)
    const caughtUp = await waitFor(
      () => drStatus(secondary),
      (s) => s.last_remote_wal === after.last_wal,
      { what: 'last_remote_wal to catch up' },
    )
    expect(caughtUp.merkle_root).toBe(after.merkle_root)
    expect(caughtUp.merkle_root).not.toBe(primaryStatus.merkle_root)
  })
})
