import { afterAll, describe, expect, it } from 'vitest'
import { EtcdCluster } from '../../services/gateway/test/helpers/etcd-cluster.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

const secrets: string[] = []
afterAll(() => expectNoSecretsInLogs(secrets))

describe.each(['sqlite', 'etcd'] as const)(
  'a handshake through the gateway on the %s store, with TLS on both clusters’ APIs and on every service',
  (store) => {
    let stack: E2EStack
    let etcd: EtcdCluster | undefined
    afterAll(async () => {
      await stack?.close()
      await etcd?.close()
    })

    it('succeeds, every step recorded, and the secondary streams WALs from the primary', async () => {
      if (store === 'etcd') etcd = await EtcdCluster.start()
      stack = await startE2EStack({ tls: true, gatewayEnv: etcd ? { VAULT_DR_STORE: etcd.storeUrl } : {} })
      secrets.push(...stack.secrets)
      // The gateway reaches both agents over HTTPS (their certificate's CA given as VAULT_DR_AGENT_CACERT).
      for (const service of [stack.primaryAgent, stack.secondaryAgent, stack.gateway]) {
        expect(service.url).toMatch(/^https:\/\/127\.0\.0\.1:/)
      }
      const created = await createHandshake(stack)
      expect(created.state).toMatch(/pending|running/)
      const done = await waitForHandshake(stack, created.id)
      expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
      expect(done.steps.map((s) => [s.name, s.status])).toEqual([
        ['preflight', 'succeeded'],
        ['enable_primary', 'succeeded'],
        ['mint_token', 'succeeded'],
        ['inspect_token', 'succeeded'],
        ['activate_secondary', 'succeeded'],
        ['verify', 'succeeded'],
      ])
      // On etcd, the handshake lives in the cluster (under the default prefix), not in a SQLite file.
      if (etcd) expect(await etcd.keyCount('/vault-dr/handshakes/')).toBeGreaterThan(0)
      const primary = stack.primary.state()
      const secondary = stack.secondary.state()
      expect(secondary).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', connectionState: 'ready' })
      expect(secondary.replicationClusterId).toBe(primary.replicationClusterId)
      expect(primary.knownSecondaries).toEqual(['dc2'])

      const wal = stack.primary.faults.write('sys/policies/acl/e2e')
      await expect
        .poll(() => stack.secondary.state().drStatus.last_remote_wal, { timeout: 5_000 })
        .toBeGreaterThanOrEqual(wal)
    })

    it('changes nothing when run again on the replicating pair, and says so', async () => {
      const again = await createHandshake(stack)
      const done = await waitForHandshake(stack, again.id)
      expect(done.state).toBe('succeeded')
      expect(done.steps.filter((s) => s.status === 'skipped').map((s) => s.name)).toEqual([
        'enable_primary',
        'mint_token',
        'inspect_token',
        'activate_secondary',
        'verify',
      ])
      expect(stack.simEvents.filter((e) => e.includes('enabled as secondary'))).toHaveLength(1)
      expect(stack.simEvents.filter((e) => e.includes('issued an activation token'))).toHaveLength(1)
    })

    it('shows both clusters in the fleet view of the CLI’s API', async () => {
      const res = await stack.gatewayApi.GET('/v1/clusters', { params: { query: { live: 'true' } } })
      const byName = Object.fromEntries((res.data?.clusters ?? []).map((c) => [c.name, c]))
      expect(byName.dc1?.agent).toMatchObject({ reachable: true, status: { replication: { mode: 'primary' } } })
      expect(byName.dc2?.agent).toMatchObject({ reachable: true, status: { replication: { mode: 'secondary' } } })
    })
  },
)
