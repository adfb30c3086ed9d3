import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import { FakeWorld } from '../../test/helpers/fake-agents.ts'
import { record } from '../../test/helpers/store-contract.ts'
import { watchLease } from '../operations/lease-watch.ts'
import type { OperationRun } from '../operations/operation-kind.ts'
import type { HandshakeRecord } from '../store/store.ts'
import { type HandshakeKindDeps, handshakeKind } from './handshake.kind.ts'

describe("a handshake's ceremony token, forgotten once its activation wiped the secondary", () => {
  it('is deleted only within the lease: a run whose lease ran out while it waited (a frozen process) deletes nothing', async () => {
    const deleted: string[] = []
    const deps = {
      store: {
        currentEpoch: async () => 0,
        deleteCeremonyToken: async (secondary: string) => {
          deleted.push(secondary)
        },
      },
      clusters: { resolve: async (name: string) => ({ name }), targetOf: (cluster: unknown) => cluster },
      agents: new FakeWorld().clients(),
      settings: {},
    } as unknown as HandshakeKindDeps
    const hs = record({ primary: 'dc1', secondary: 'dc2', secondary_id: 'dc2' })
    const lost = new AbortController()
    const run = {
      record: () => hs,
      save: async () => {},
      signal: () => lost.signal,
      cancelRequested: async () => false,
      now: Date.now,
      log: { warn() {}, info() {}, error() {}, debug() {} } as unknown as FastifyBaseLogger,
      lease: undefined,
    } as unknown as OperationRun<HandshakeRecord>
    const ctx = await handshakeKind(deps).context(run)
    const lease = watchLease(performance.now() + 60_000, () => lost.abort(new Error('lease lost')))
    try {
      await ctx.forgetCeremonyToken()
      expect(deleted).toEqual(['dc2'])
      // Past its stop time, its timer not fired yet: another gateway may have finished the handshake, and an operator
      // made a new ceremony token since, which must stay.
      lease.extend(performance.now() - 1)
      await expect(ctx.forgetCeremonyToken()).rejects.toThrow('lease lost')
      expect(lost.signal.aborted).toBe(true)
      expect(deleted).toEqual(['dc2'])
    } finally {
      lease.release()
    }
  })
})
