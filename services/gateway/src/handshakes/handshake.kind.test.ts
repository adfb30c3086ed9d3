import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import { FakeWorld } from '../../test/helpers/fake-agents.ts'
import { record } from '../../test/helpers/store-contract.ts'
import { watchLease } from '../operations/lease-watch.ts'
import type { OperationRun } from '../operations/operation-kind.ts'
import type { HandshakeRecord } from '../store/store.ts'
import { type HandshakeKindDeps, handshakeKind } from './handshake.kind.ts'

describe("a handshake's ceremony token, forgotten once its activation wiped the secondary", () => {
  /** A handshake run of dc1 and dc2 whose activation was sent at `sentAt`, over a store keeping dc2's token `made`. */
  async function setup(made: string, sentAt: string | null) {
    let kept: string | undefined = made
    const deleted: string[] = []
    const deps = {
      store: {
        currentEpoch: async () => 0,
        getCeremonyToken: async (secondary: string) =>
          kept === undefined ? undefined : { secondary, token_sealed: new Uint8Array(), created_at: kept },
        deleteCeremonyToken: async (secondary: string, madeAt?: string) => {
          // As the store: only the token made at `madeAt` (none given, as before it was asked for: any).
          if (madeAt !== undefined && madeAt !== kept) return false
          deleted.push(`${secondary}@${kept}`)
          kept = undefined
          return true
        },
      },
      clusters: { resolve: async (name: string) => ({ name }), targetOf: (cluster: unknown) => cluster },
      agents: new FakeWorld().clients(),
      settings: {},
    } as unknown as HandshakeKindDeps
    const activation =
      sentAt === null
        ? null
        : { id: 'h.1', attempt: 1, sent_at: sentAt, token_expires_at: sentAt, outcome: 'activated' as const }
    const hs = { ...record({ primary: 'dc1', secondary: 'dc2', secondary_id: 'dc2' }), activation }
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
    return { ctx, lost, deleted, kept: () => kept }
  }
  const SENT = '2026-01-01T00:05:00.000Z'

  it('deletes the token made before the activation was sent, that very one', async () => {
    const { ctx, deleted, kept } = await setup('2026-01-01T00:04:59.000Z', SENT)
    await ctx.forgetCeremonyToken()
    expect(deleted).toEqual(['dc2@2026-01-01T00:04:59.000Z'])
    expect(kept()).toBeUndefined()
  })

  it('keeps a token made since the activation was sent: another ceremony, after the handshake ended elsewhere', async () => {
    const { ctx, deleted, kept } = await setup('2026-01-01T00:05:01.000Z', SENT)
    await ctx.forgetCeremonyToken()
    expect(deleted).toEqual([])
    expect(kept()).toBe('2026-01-01T00:05:01.000Z')
  })

  it('with no activation sent by this handshake (found by status, or while minting), keeps it: its wipe came at a time no one recorded', async () => {
    const before = await setup('2025-12-31T23:59:00.000Z', null)
    await before.ctx.forgetCeremonyToken()
    expect(before.deleted).toEqual([])
    expect(before.kept()).toBe('2025-12-31T23:59:00.000Z')
  })

  it('is deleted only within the lease: a run whose lease ran out while it waited (a frozen process) deletes nothing', async () => {
    const { ctx, lost, deleted, kept } = await setup('2026-01-01T00:04:59.000Z', SENT)
    const lease = watchLease(performance.now() + 60_000, () => lost.abort(new Error('lease lost')))
    try {
      // Past its stop time, its timer not fired yet: another gateway may have finished the handshake since.
      lease.extend(performance.now() - 1)
      await expect(ctx.forgetCeremonyToken()).rejects.toThrow('lease lost')
      expect(lost.signal.aborted).toBe(true)
      expect(deleted).toEqual([])
      expect(kept()).toBe('2026-01-01T00:04:59.000Z')
    } finally {
      lease.release()
    }
  })
})
