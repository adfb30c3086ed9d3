import { describe, expect, it } from 'vitest'
import type { OperationRecord } from '../store/store.ts'
import { bodyHash } from './operation-request.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'
import { createUnderKey } from './switchovers.service.ts'

const body = { to: 'dc2' }
const made = { id: 'op-1', kind: 'switchover', request_hash: bodyHash('switchover', body) } as OperationRecord

/** A store in which the key's operation appears after `afterReads` reads of it (the first request still planning). */
function depsWhereKeyAppears(afterReads: number) {
  let reads = 0
  const store = { operationByIdempotencyKey: async () => (++reads > afterReads ? made : undefined) }
  return { store } as unknown as SwitchoverDeps
}

describe('a role change created under an Idempotency-Key', () => {
  it('answers the operation the first request made when the same one, sent again, is refused meanwhile', async () => {
    const refused = async () => {
      throw new Error('NOT_A_PAIR: dc2 is a DR primary now (the first request demoted and promoted)')
    }
    expect(await createUnderKey(depsWhereKeyAppears(1), 'switchover', 'k-1', body, refused)).toEqual({
      created: false,
      operation: made,
    })
  })

  it('answers 422 for another body under the key, not the refusal the key’s own operation caused meanwhile', async () => {
    const busy = async () => {
      throw new Error('CLUSTER_BUSY: operation op-1 holds dc2')
    }
    await expect(
      createUnderKey(depsWhereKeyAppears(1), 'switchover', 'k-1', { ...body, catch_up_timeout: '30s' }, busy),
    ).rejects.toMatchObject({ code: 'GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED' })
  })

  it('passes a refusal on when no operation has the key, and makes no second look without a key', async () => {
    const refusal = new Error('PREFLIGHT_FAILED')
    const refused = async () => {
      throw refusal
    }
    await expect(createUnderKey(depsWhereKeyAppears(5), 'switchover', 'k-1', body, refused)).rejects.toBe(refusal)
    await expect(createUnderKey(depsWhereKeyAppears(0), 'switchover', undefined, body, refused)).rejects.toBe(refusal)
  })
})
