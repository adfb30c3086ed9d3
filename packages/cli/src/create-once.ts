import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { mayComeBack } from './gateway-unreachable.ts'
import { type Output, sayInterrupted } from './output.ts'

/** The request headers of a create made under `key`. */
export type IdempotencyParams = { header: { 'idempotency-key': string } }

/** The operation kind a create starts (as `vault-dr operations list --kind` names it). */
export type CreatedKind = 'handshake' | 'switchover' | 'drill' | 'failover' | 'rejoin'

/**
 * Sends a create (a handshake, switchover, drill, failover, rejoin) under an Idempotency-Key, and sends it once more
 * with the same key when its answer was lost (a reset, a timeout): the gateway then answers the operation the first
 * one created, where without the key the second would be refused, the clusters busy with that very operation.
 * Ctrl-C while it is sent says the operation may have started, and where to look for it (exit 130).
 */
export async function createOnce<T>(
  kind: CreatedKind,
  out: Output,
  send: (params: IdempotencyParams) => Promise<T>,
  retryAfterMs = 1_000,
): Promise<T> {
  const params = { header: { 'idempotency-key': randomUUID() } }
  const onInterrupt = () => {
    sayInterrupted(
      out,
      { kind },
      `\ninterrupted while the gateway was asked to start the ${kind}: it may have started and goes on if it did. ` +
        `"vault-dr operations list --kind ${kind}" shows it (newest first); "vault-dr operations cancel <id>" stops it.`,
    )
    process.exit(130)
  }
  process.once('SIGINT', onInterrupt)
  try {
    return await send(params)
  } catch (err) {
    if (!mayComeBack(err, true)) throw err
    await sleep(retryAfterMs)
    return await send(params)
  } finally {
    process.off('SIGINT', onInterrupt)
  }
}
