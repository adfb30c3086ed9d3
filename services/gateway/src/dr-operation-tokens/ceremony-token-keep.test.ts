import { describe, expect, it } from 'vitest'
import { ceremonyServiceOf } from '../../test/helpers/ceremony-service.ts'
import { SecretBox } from '../store/secret-box.ts'
import type { Store, StoredCeremonyToken } from '../store/store.ts'
import { ceremonyOwner } from './ceremony.service.ts'

const TOKEN = 'hvs.ceremony-token-made-by-the-last-share'
const box = new SecretBox('store-key-of-this-test')

/** A ceremony whose next share completes it, over a store that refuses `failures` writes, and an agent deleting with `deleteOutcome`. */
function setup(failures: number, deleteOutcome: 'deleted' | 'not_valid' | 'unreachable' = 'deleted') {
  let refusals = failures
  const kept: StoredCeremonyToken[] = []
  const deleted: string[] = []
  // Once the share was sent, the store answers nothing (no quorum): neither the token's write nor an epoch read.
  const storeDown = { afterShare: false, shared: false }
  const store = {
    currentEpoch: async () => {
      if (storeDown.afterShare && storeDown.shared) throw new Error('the store does not answer')
      return 1
    },
    bumpEpoch: async () => 2,
    raiseEpoch: async () => undefined,
    putCeremonyToken: async (token: StoredCeremonyToken) => {
      if (refusals-- > 0) throw new Error('the store refused the write')
      kept.push(token)
    },
  } as unknown as Store
  const agent = {
    status: async () => ({ epoch: 1 }),
    startCeremony: async () => ({}),
    submitCeremonyShare: async () => {
      storeDown.shared = true
      return { complete: true, progress: 1, required: 1, token: TOKEN }
    },
    cancelCeremony: async () => ({ cancelled: false }),
    deleteDrOperationToken: async (token: string) => {
      if (deleteOutcome === 'unreachable') throw new Error('agent unreachable')
      deleted.push(token)
      return { outcome: deleteOutcome, detail: '' }
    },
    checkDrOperationToken: async () => ({ valid: true, outcome: 'valid' }),
  }
  const service = ceremonyServiceOf(store, agent, box)
  return { service, kept, deleted, storeDown }
}

describe('keeping the token the last share of a ceremony made', () => {
  it('seals it in the store, retried while the store refuses a write or two; never answered', async () => {
    const { service, kept, deleted } = setup(2)
    const progress = await service.share('dc2', 'nonce', 'share')
    expect(progress).toMatchObject({ complete: true })
    expect(JSON.stringify(progress)).not.toContain(TOKEN)
    expect(kept).toHaveLength(1)
    expect(box.open(kept[0]?.token_sealed ?? new Uint8Array(), ceremonyOwner('dc2'))).toBe(TOKEN)
    expect(deleted).toEqual([])
  })

  it('deletes it in Vault when the store keeps refusing, its reads too: no token with no TTL is left valid and unheld', async () => {
    const { service, kept, deleted, storeDown } = setup(99)
    storeDown.afterShare = true
    const refused = service.share('dc2', 'nonce', 'share')
    await expect(refused).rejects.toMatchObject({
      code: 'GATEWAY_ERR_CEREMONY_TOKEN_NOT_KEPT',
      statusCode: 503,
      message: expect.stringContaining('it was deleted in Vault'),
    })
    await expect(refused).rejects.not.toThrow(TOKEN)
    expect(kept).toEqual([])
    expect(deleted).toEqual([TOKEN])
  })

  it.each(['not_valid', 'unreachable'] as const)(
    'says the token may stay valid when the delete answers %s',
    async (outcome) => {
      const { service } = setup(99, outcome)
      const refused = service.share('dc2', 'nonce', 'share')
      await expect(refused).rejects.toMatchObject({
        code: 'GATEWAY_ERR_CEREMONY_TOKEN_NOT_KEPT',
        message: expect.stringContaining('it may stay valid there'),
        fix: expect.stringContaining('activating dc2 again'),
      })
      await expect(refused).rejects.not.toThrow(TOKEN)
    },
  )
})
