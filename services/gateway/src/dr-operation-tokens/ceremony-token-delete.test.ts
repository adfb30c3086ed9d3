import { describe, expect, it } from 'vitest'
import { ceremonyServiceOf } from '../../test/helpers/ceremony-service.ts'
import { SecretBox } from '../store/secret-box.ts'
import type { Store } from '../store/store.ts'
import { ceremonyOwner } from './ceremony.service.ts'

const TOKEN = 'hvs.ceremony-token-for-dc2-only'
const box = new SecretBox('store-key-of-this-test')

/** The ceremony service over a store keeping dc2's token and an agent that refuses its delete (not_valid). */
function setup(check: 'valid' | 'invalid' | 'inconclusive', onDelete: () => void = () => {}) {
  let kept: string | undefined = 'T0'
  const store = {
    currentEpoch: async () => 1,
    bumpEpoch: async () => 2,
    raiseEpoch: async () => undefined,
    operationHolding: async () => undefined,
    getCeremonyToken: async () =>
      kept === undefined
        ? undefined
        : { secondary: 'dc2', token_sealed: box.seal(TOKEN, ceremonyOwner('dc2')), created_at: kept },
    deleteCeremonyToken: async (_: string, madeAt?: string) => {
      // As the store: only the token made at `madeAt` (none given, as before it was asked for: any).
      if (madeAt !== undefined && madeAt !== kept) return false
      kept = undefined
      return true
    },
  } as unknown as Store
  const agent = {
    status: async () => ({ epoch: 1 }),
    startCeremony: async () => ({}),
    submitCeremonyShare: async () => ({}),
    cancelCeremony: async () => ({ cancelled: false }),
    deleteDrOperationToken: async () => {
      onDelete()
      return { outcome: 'not_valid', detail: 'refused' }
    },
    checkDrOperationToken: async () => ({ valid: check === 'valid', outcome: check }),
  }
  const service = ceremonyServiceOf(store, agent, box)
  return {
    service,
    kept: () => kept !== undefined,
    replace: (at: string) => {
      kept = at
    },
    keptAt: () => kept,
  }
}

describe('deleting the kept ceremony token when the secondary refuses the delete', () => {
  it('forgets it once the secondary check refuses the token too', async () => {
    const { service, kept } = setup('invalid')
    expect(await service.deleteToken('dc2')).toMatchObject({ outcome: 'not_valid' })
    expect(kept()).toBe(false)
  })

  it.each(['valid', 'inconclusive'] as const)(
    'keeps it, with a coded error naming why, when the check says %s',
    async (check) => {
      const { service, kept } = setup(check)
      const refused = service.deleteToken('dc2')
      await expect(refused).rejects.toMatchObject({ code: 'GATEWAY_ERR_CEREMONY_TOKEN_NOT_DELETED' })
      await expect(refused).rejects.not.toThrow(TOKEN)
      expect(kept()).toBe(true)
    },
  )

  it('forgets only the token it deleted: one kept in its place meanwhile (another ceremony) stays', async () => {
    let replace = (_: string) => {}
    const { service, keptAt, replace: r } = setup('invalid', () => replace('T1'))
    replace = r
    expect(await service.deleteToken('dc2')).toMatchObject({ outcome: 'not_valid' })
    expect(keptAt()).toBe('T1')
  })
})
