import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import type { AgentClients } from '../agents/cluster-agent-client.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import type { OperationRun } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { pendingStep } from '../operations/step.ts'
import { newLeg } from '../role-changes/leg.ts'
import type { Store, StoredCluster, StoredDrToken } from '../store/store.ts'
import { roleChangePreflight } from './preflight.step.ts'
import { roleChangeRun } from './role-change-run.ts'
import type { SwitchoverCheck } from './switchover-checks.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'

const NOW = Date.parse('2026-12-05T00:00:00.000Z')
const at = (ms: number) => new Date(NOW + ms).toISOString()

function status(mode: 'primary' | 'secondary'): ClusterStatus {
  const primary = mode === 'primary'
  return {
    vault: {
      reachable: true,
      address: 'http://127.0.0.1:8200',
      health_code: primary ? 200 : 472,
      initialized: true,
      sealed: false,
      version: '1.21.0+ent',
      enterprise: true,
      ha_role: 'active',
      cluster_name: 'c',
      cluster_id: 'id',
      dr_mode: mode,
      error: null,
    },
    replication: {
      mode,
      state: primary ? 'running' : 'stream-wals',
      cluster_id: 'set-1',
      merkle_root: 'root',
      last_wal: primary ? 100 : null,
      known_secondaries: primary ? ['dc2'] : [],
      secondaries: [],
      primary_cluster_addr: null,
      connection_state: primary ? null : 'ready',
      primaries: [],
      known_primary_cluster_addrs: [],
      last_remote_wal: primary ? null : 100,
      secondary_id: primary ? null : 'dc2',
      corrupted_merkle_tree: false,
    },
    checked_at: at(0),
  }
}

/** A switchover of dc1 to dc2 created `ageMs` ago with the checks its request made, and the agents' reads counted. */
function setup(ageMs: number, requestChecks: SwitchoverCheck[]) {
  const clusters = [
    { name: 'dc1', role: 'primary' },
    { name: 'dc2', role: 'secondary' },
  ] as StoredCluster[]
  const reads: string[] = []
  const kept: StoredDrToken = {
    primary: 'dc1',
    token_sealed: new TextEncoder().encode('sealed'),
    issued_at: at(-60_000),
    expires_at: at(3_600_000),
    primary_cluster_id: 'set-1',
    previous_sealed: null,
    previous_expires_at: null,
    updated_at: at(-60_000),
  }
  const deps = {
    store: {
      getCluster: async (name: string) => clusters.find((c) => c.name === name),
      listClusters: async () => clusters,
      pairedSecondaries: async () => [{ primary: 'dc1', secondary: 'dc2', secondary_id: 'dc2' }],
    } as unknown as Store,
    clusters: {
      targetOf: (c: StoredCluster) => ({ cluster: c.name, url: 'http://127.0.0.1:1', token: 't' }),
    } as unknown as ClustersService,
    agents: {
      cluster: (target: { cluster: string }) => ({
        status: async () => {
          reads.push(target.cluster)
          return status(target.cluster === 'dc1' ? 'primary' : 'secondary')
        },
      }),
    } as unknown as AgentClients,
    custody: {
      get: async (name: string) => (name === 'dc1' ? kept : undefined),
      info: (t: StoredDrToken) => ({
        issued_at: t.issued_at,
        expires_at: t.expires_at,
        rotate_at: t.expires_at,
        remaining_s: (Date.parse(t.expires_at) - NOW) / 1000,
        previous_expires_at: null,
        primary_cluster_id: t.primary_cluster_id,
      }),
    } as unknown as TokenCustody,
    settings: { settleTimeoutMs: 1_000, pollMs: 10, activationTtl: '5m', statusTimeoutMs: 1_000, maxLagWals: 10 },
    hooks: { caPem: undefined, timeoutMs: 1_000 },
    now: () => NOW,
  } as unknown as SwitchoverDeps
  const leg = {
    ...newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }]),
    replication_cluster_id: 'set-1',
  }
  let record = {
    id: 'op-1',
    kind: 'switchover',
    clusters: ['dc1', 'dc2'],
    subject: { catch_up_timeout: '90s' },
    data: { legs: [leg], checks: requestChecks, warnings: [], write_unavailable_ms: null, wals_lost: null },
    steps: [pendingStep('preflight')],
    created_at: at(-ageMs),
  } as unknown as OperationRecord
  const run: OperationRun<OperationRecord> = {
    record: () => record,
    save: async (patch) => {
      record = { ...record, ...patch }
    },
    signal: () => new AbortController().signal,
    cancelRequested: async () => false,
    now: () => NOW,
    log: {} as FastifyBaseLogger,
  }
  return { deps, run, reads, checks: () => (record.data as { checks: SwitchoverCheck[] }).checks }
}

const requestChecks: SwitchoverCheck[] = [
  { name: 'from_primary', status: 'pass', code: 'OK', detail: 'dc1 is the running DR primary', fix: null },
  { name: 'dr_operation_token', status: 'pass', code: 'OK', detail: 'valid 3600 s (needed: 400 s)', fix: null },
]

describe("a switchover's preflight", () => {
  it('takes the checks its request made an instant before, the token checked again for the whole operation', async () => {
    const { deps, run, reads, checks } = setup(20, requestChecks)
    const r = await roleChangeRun(deps, run, () => ({}))
    const done = await roleChangePreflight(deps, r, 3_000)
    expect(reads).toEqual([])
    expect(checks()[0]).toEqual(requestChecks[0])
    expect(checks()[1]).toMatchObject({ name: 'dr_operation_token', status: 'pass' })
    expect(checks()[1]?.detail).toContain('(needed: 3000 s)')
    expect(done.detail).toContain('needed: 3000 s')
  })

  it('checks the pair again when the operation was created more than a moment ago', async () => {
    const { deps, run, reads, checks } = setup(5_000, requestChecks)
    const r = await roleChangeRun(deps, run, () => ({}))
    await roleChangePreflight(deps, r, 400)
    expect(reads.sort()).toEqual(['dc1', 'dc2'])
    expect(checks().map((c) => c.name)).toContain('versions')
    expect(checks().every((c) => c.status === 'pass')).toBe(true)
  })
})
