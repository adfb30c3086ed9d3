import type { FastifyBaseLogger } from 'fastify'
import type { RoleChangeClient } from '../role-changes/role-change-context.ts'
import { type EpochCounter, epochSeenBy, underEpochFloor } from './epoch-floor.ts'

/**
 * A role change's agent client whose calls carrying an epoch are made under the epoch floor (underEpochFloor): an
 * agent that has seen an epoch above the store's counter (a replaced or restored store) has the counter raised
 * above it and the call made again under the raised epoch; a stale call indeed is refused as before.
 */
export function epochFloorClient(
  client: RoleChangeClient,
  store: EpochCounter,
  log?: Pick<FastifyBaseLogger, 'warn'>,
): RoleChangeClient {
  const agentEpoch = epochSeenBy(client)
  /** A call made under `epoch` and the floor (the role changes require one). */
  const at = <T>(epoch: number, call: (epoch: number) => Promise<T>) =>
    underEpochFloor(store, epoch, call, agentEpoch, log ? { log } : {})
  /** A call that may carry no epoch: made as it is then. */
  const under = <T>(epoch: number | undefined, call: (epoch: number | undefined) => Promise<T>) =>
    epoch === undefined ? call(undefined) : at(epoch, call)
  return {
    status: (signal, opts) => client.status(signal, opts),
    checkWrites: (signal) => client.checkWrites(signal),
    checkMerkle: (token, signal) => client.checkMerkle(token, signal),
    demote: (body, o) => at(o.epoch, (epoch) => client.demote(body, { ...o, epoch })),
    promote: (body, o) => at(o.epoch, (epoch) => client.promote(body, { ...o, epoch })),
    updatePrimary: (body, o) => at(o.epoch, (epoch) => client.updatePrimary(body, { ...o, epoch })),
    generatePublicKey: (o) => under(o?.epoch, (epoch) => client.generatePublicKey({ ...o, epoch })),
    mintToken: (body, signal, o) => under(o?.epoch, (epoch) => client.mintToken(body, signal, { ...o, epoch })),
    revoke: (secondaryId, signal, o) => under(o?.epoch, (epoch) => client.revoke(secondaryId, signal, { ...o, epoch })),
  }
}
