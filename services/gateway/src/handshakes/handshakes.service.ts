import type { ClustersService } from '../clusters/clusters.service.ts'
import type { HandshakeSettings } from '../config.ts'
import { GatewayErrors, sameClusterField } from '../gateway-errors.ts'
import { clusterBusy } from '../operations/cluster-busy.ts'
import type { OperationBus } from '../operations/operation-bus.ts'
import { isFinished } from '../operations/operation-journal.ts'
import type { OperationRunner } from '../operations/operation-runner.ts'
import { HANDSHAKE_FAMILY } from '../operations/operations.service.ts'
import type { HandshakeRecord, Store } from '../store/store.ts'
import { newHandshake, requestHash } from './handshake-record.ts'
import type { CreateHandshakeBody, HandshakeState } from './handshakes.schemas.ts'
import { ttlSeconds } from './token-ttl.ts'

export interface HandshakesServiceDeps {
  store: Store
  clusters: ClustersService
  runner: OperationRunner
  bus: OperationBus
  settings: HandshakeSettings
  now: () => number
}

/** An unfinished operation holds one of the clusters (the store's cluster_busy outcome). */
interface ClusterBusy {
  cluster: string
  holder: { kind: string; id: string; state: string }
}

function heldBy({ cluster, holder }: ClusterBusy) {
  return holder.kind === 'handshake'
    ? GatewayErrors.handshakeInProgress(`Handshake ${holder.id} is ${holder.state} and holds cluster ${cluster}`)
    : clusterBusy(holder, cluster)
}

export type HandshakesService = ReturnType<typeof createHandshakesService>

/** Starts, reads and cancels handshakes; the runner does the work in the background. */
export function createHandshakesService({ store, clusters, runner, bus, settings, now }: HandshakesServiceDeps) {
  const at = () => new Date(now()).toISOString()

  async function find(id: string): Promise<HandshakeRecord> {
    const hs = await store.getHandshake(id)
    if (hs === undefined) throw GatewayErrors.handshakeNotFound(`No handshake ${id}`)
    return hs
  }

  const keyReused = (earlier: HandshakeRecord) =>
    GatewayErrors.idempotencyKeyReused(`Idempotency-Key was first used for handshake ${earlier.id} with another body`)

  /** The handshake an Idempotency-Key made, for the same body; another body with the same key is refused. */
  function replayOf(earlier: HandshakeRecord, body: CreateHandshakeBody) {
    if (earlier.request_hash !== requestHash(body)) throw keyReused(earlier)
    return { created: false, handshake: earlier }
  }

  return {
    /** created: a new handshake (202); replayed: the one this Idempotency-Key made (200). */
    async create(body: CreateHandshakeBody, idempotencyKey: string | undefined) {
      if (body.primary === body.secondary) {
        throw GatewayErrors.sameCluster(`body/secondary names ${body.primary}, the cluster body/primary names`, {
          cause: sameClusterField,
        })
      }
      // A replay answers what the first request got, whatever changed since (a cluster deleted, a setting changed).
      if (idempotencyKey !== undefined) {
        const earlier = await store.handshakeByIdempotencyKey(idempotencyKey)
        if (earlier !== undefined) return replayOf(earlier, body)
      }
      const [primary, secondary] = await Promise.all([
        clusters.resolve(body.primary, 'primary'),
        clusters.resolve(body.secondary, 'secondary'),
      ])
      // Agent tokens this gateway cannot open (another store key) would leave the handshake waiting: refuse now.
      clusters.targetOf(primary)
      clusters.targetOf(secondary)
      const ttl = body.token_ttl ?? settings.defaultTokenTtl
      if (ttlSeconds(ttl) * 1000 <= settings.tokenMinRemainingMs) {
        throw GatewayErrors.tokenTtlTooShort(
          `token_ttl ${ttl} is not longer than the ${settings.tokenMinRemainingMs} ms a token must have left when handed over`,
        )
      }
      const record = newHandshake(body, {
        secondary,
        defaultTokenTtl: settings.defaultTokenTtl,
        at: at(),
        idempotencyKey,
      })
      const outcome = await store.createHandshake(record)
      switch (outcome.kind) {
        case 'key_conflict':
          throw keyReused(outcome.handshake)
        case 'in_progress': {
          const other = outcome.handshake
          throw GatewayErrors.handshakeInProgress(
            other.secondary === record.secondary
              ? `Handshake ${other.id} for secondary ${other.secondary} is ${other.state}`
              : `Handshake ${other.id} (secondary ${other.secondary}) is ${other.state} with secondary_id ${other.secondary_id} on primary ${other.primary}`,
          )
        }
        case 'created':
          bus.notify(outcome.handshake.id)
          runner.kick(outcome.handshake.id, HANDSHAKE_FAMILY)
          return { created: true, handshake: outcome.handshake }
        case 'replayed':
          return { created: false, handshake: outcome.handshake }
        case 'cluster_busy':
          // An unfinished operation of another kind holds the primary or the secondary.
          throw heldBy(outcome)
      }
    },
    get: find,
    list(query: { state?: HandshakeState | undefined; limit: number }) {
      return store.listHandshakes(query)
    },
    async cancel(id: string) {
      const hs = await store.requestCancel(id, at())
      if (hs === undefined) throw GatewayErrors.handshakeNotFound(`No handshake ${id}`)
      if (isFinished(hs)) throw GatewayErrors.handshakeFinished(`Handshake ${id} already ${hs.state}`)
      bus.notify(id)
      runner.cancel(id, HANDSHAKE_FAMILY)
      return hs
    },
  }
}
