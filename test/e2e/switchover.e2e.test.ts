import { join } from 'node:path'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsIn, expectNoSecretsInLogs, readSqliteStore } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvRead,
  kvWrite,
  type Operation,
  type SwitchStack,
  startSwitchStack,
  startWriteSampler,
  stepOf,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

async function drStatus(c: ClusterHandle): Promise<Record<string, unknown>> {
  const res = await fetch(`${c.apiUrl}/v1/sys/replication/dr/status`)
  return ((await res.json()) as { data: Record<string, unknown> }).data
}

async function switchover(s: SwitchStack, body: Record<string, unknown>): Promise<Operation> {
  const res = await s.api.POST('/v1/switchovers', { body: body as never })
  if (res.response.status !== 202 || !res.data) throw new Error(`createSwitchover: ${JSON.stringify(res.error)}`)
  expect(res.response.headers.get('location')).toBe(`/v1/operations/${res.data.id}`)
  return res.data
}

function expectStreams(s: SwitchStack, secondary: string, id: string) {
  expect(s.clusters[secondary]?.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: id })
}

describe.each(['sqlite', 'etcd'] as const)(
  'switchover through the gateway on the %s store, on vault-sim with both agents and the gateway as processes',
  (store) => {
    it('dc1 -> dc2 with no write lost, dc1 following dc2 without a wipe, then back; never two primaries', async () => {
      stack = await startSwitchStack({ store })
      secrets.push(...stack.secrets)
      const [dc1, dc2] = [clusterOf(stack, 'dc1'), clusterOf(stack, 'dc2')]
      for (let i = 0; i < 10; i++) expect(await kvWrite(dc1, stack.rootToken, `before/${i}`)).toBe(true)

      const plan = await stack.api.POST('/v1/switchovers/plan', { body: { to: 'dc2' } as never })
      expect(plan.data).toMatchObject({ ok: true, from: 'dc1', to: 'dc2', followers: [{ cluster: 'dc1' }] })
      expect(dc2.state().drMode).toBe('secondary')

      const sampler = startWriteSampler(stack)
      const created = await switchover(stack, { to: 'dc2' })
      const done = await waitForOperation(stack, created.id)
      await sampler.stop()
      expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
      expect(done.result).toMatchObject({ wals_lost: 0 })
      const window = (done.result as { write_unavailable_ms: number }).write_unavailable_ms
      expect(window).toBeGreaterThan(0)
      expect(dc2.state().drMode).toBe('primary')
      expectStreams(stack, 'dc1', 'dc1')
      expect(sampler.doubles).toEqual([])
      // Every write either cluster accepted is on the new primary: those made on dc1 before and during, those on dc2 after.
      for (let i = 0; i < 10; i++) expect(await kvRead(dc2, stack.rootToken, `before/${i}`)).toBe(`before/${i}`)
      expect(sampler.accepted.dc1?.length).toBeGreaterThan(0)
      expect(sampler.accepted.dc2?.length).toBeGreaterThan(0)
      for (const path of [...(sampler.accepted.dc1 ?? []), ...(sampler.accepted.dc2 ?? [])]) {
        expect(await kvRead(dc2, stack.rootToken, path)).toBe(path)
      }
      // The registry reflects the roles as Vault reports them.
      const registered = await stack.api.GET('/v1/clusters')
      const roles = Object.fromEntries((registered.data?.clusters ?? []).map((c) => [c.name, c.role]))
      expect(roles).toMatchObject({ dc1: 'secondary', dc2: 'primary' })
      const pairsNow = async () => (await stack?.api.GET('/v1/pairs'))?.data?.pairs.map((p) => [p.secondary, p.primary])
      expect(await pairsNow()).toEqual([['dc1', 'dc2']])
      expect(stepOf(done, 'verify_pairs')?.status).toBe('succeeded')
      // On etcd, the pairs the operation recorded live in the cluster the stack started (not in a SQLite file).
      if (store === 'etcd') expect(await stack.etcd?.keyCount('/vault-dr/pairings/')).toBeGreaterThan(0)

      // Vault's merkle-check ran on dc1 once it was re-pointed (HashiCorp's advice after update-primary): clean.
      expect(done.result).toMatchObject({ warnings: [] })
      expect(Number((await drStatus(dc1)).last_corruption_check_epoch)).toBeGreaterThan(0)

      // Failback: a switchover back, `from` found from the live roles. dc2's tree is found corrupted once it follows
      // dc1: a warning on the operation (a reindex is the operator's call), not a failure.
      dc2.faults.corruptMerkleTree()
      const back = await waitForOperation(stack, (await switchover(stack, { to: 'dc1' })).id)
      expect(back.state, JSON.stringify(back.error)).toBe('succeeded')
      expect(back.subject).toMatchObject({ from: 'dc2', to: 'dc1' })
      expect(back.result).toMatchObject({ wals_lost: 0 })
      expect((back.result as { warnings: string[] }).warnings).toEqual([
        expect.stringMatching(/^merkle-check on dc2 after its re-pointing: MERKLE_CORRUPTED: .*[Rr]eindex/),
      ])
      expect(dc1.state().drMode).toBe('primary')
      expectStreams(stack, 'dc2', 'dc2')
      expect(await pairsNow()).toEqual([['dc2', 'dc1']])
      for (const path of sampler.accepted.dc2 ?? []) expect(await kvRead(dc1, stack.rootToken, path)).toBe(path)
      // No cluster was wiped: the only activation is the handshake's; the role changes are one demote and one promote a way.
      const events = (what: string) => stack?.simEvents.filter((e) => e.includes(what)) ?? []
      expect(events('enabled as secondary')).toHaveLength(1)
      expect(events('demoted to secondary')).toHaveLength(2)
      expect(events('promoted to primary')).toHaveLength(2)
      expect(events('re-pointed to a new primary')).toHaveLength(2)
      // The DR operation tokens both switchovers used and issued, and their activation tokens, are in no answer and,
      // on SQLite, nowhere in the store in clear.
      const kept = store === 'sqlite' ? [readSqliteStore(join(stack.dir, 'gateway.sqlite'))] : []
      expectNoSecretsIn([JSON.stringify(done), JSON.stringify(back), ...kept], stack.secrets)
    })
  },
)
