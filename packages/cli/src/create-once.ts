import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { mayComeBack } from './gateway-unreachable.ts'

/** The request headers of a create made under `key`. */
export type IdempotencyParams = { header: { 'idempotency-key': string } }

/**
 * Sends a create (a handshake, switchover, drill, failover, rejoin) under an Idempotency-Key, and sends it once more
 * with the same key when its answer was lost (a reset, a timeout): the gateway then answers the operation the first
 * one created, where without the key the second would be refused, the clusters busy with that very operation.
 */
export async function createOnce<T>(send: (params: IdempotencyParams) => Promise<T>, retryAfterMs = 1_000): Promise<T> {
  const params = { header: { 'idempotency-key': randomUUID() } }
  try {
    return await send(params)
  } catch (err) {
    if (!mayComeBack(err, true)) throw err
    await sleep(retryAfterMs)
    return send(params)
  }
}
