import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { Gauge, type Registry } from 'prom-client'
import { type ClusterStatus, connectedSecondaries } from '../cluster-status.ts'
import type { FenceRecord } from '../fence/fence.schemas.ts'
import { type Serving, type ServingConfirmation, ServingReason } from './serving.schemas.ts'
import { decideServing } from './serving-decision.ts'

/**
 * A Vault read slower than this renews the episode, as an unanswered one does: while the read hung (a black hole), a
 * failover may have happened that the agent could not see.
 */
export const SLOW_READ_MS = 1_000

/**
 * Every DR secondary the primary knows streams from it: none of them was promoted away from it. One connected is not
 * enough: a failover promotes one secondary, and another left in the lost site may go on following the old primary.
 */
function everySecondaryConnected(status: ClusterStatus): boolean {
  const known = status.replication?.known_secondaries ?? []
  const connected = new Set(connectedSecondaries(status))
  return known.length > 0 && known.every((id) => connected.has(id))
}

/** How often the gate reads the cluster by itself (a Vault away is only seen by reading it): at most every 5 s. */
export const servingWatchEveryMs = (reconfirmAfterMs: number) => Math.min(5_000, Math.floor(reconfirmAfterMs / 4))

export interface ServingGate {
  /** Takes in a status read and how long it took: its role, its connected secondaries, whether Vault was away or slow. */
  observe(status: ClusterStatus, readMs: number): void
  /**
   * A random value renewed at the gate's start, at the first unanswered or sealed read, at the first answered read
   * after one, and at a read slower than SLOW_READ_MS: whatever the caller read before it may be out of date.
   */
  episode(): string
  /**
   * The gateway confirmed it from its store, read after getServing answered `episode`: it was not failed away from.
   * False, and nothing confirmed, when the episode has changed since.
   */
  confirm(by: 'gateway', episode: string): boolean
  decide(status: ClusterStatus): Serving
  /** Starts reading the cluster every servingWatchEveryMs (each read is observed through the agent's reads). */
  start(read: () => Promise<unknown>): void
  stop(): void
}

/**
 * What this agent knows of its cluster's primary role, for the load balancer's check (decideServing). Nothing at its
 * start: a site that comes back after a failover may bring back its old primary and its agent together, and the
 * agent must not send clients to it before it has heard of the fence. The role is confirmed by a DR secondary seen
 * connected (none connects to a primary that was failed away from), by the cluster seen turning from a DR secondary
 * into a DR primary (a promote, this agent's own among them), or by the gateway from its store; the confirmation is forgotten when the cluster is seen a DR secondary, and when its Vault did not
 * answer unsealed for longer than `reconfirmAfterMs` (a lost site whose agent ran through the loss).
 */
export function createServingGate(deps: {
  fence: () => FenceRecord | undefined
  reconfirmAfterMs: number
  log: () => FastifyBaseLogger
  registry?: Registry
  now?: () => number
}): ServingGate {
  const now = deps.now ?? Date.now
  let confirmed: ServingConfirmation | undefined
  let episode = randomUUID()
  let awaySince: number | null = null
  let last: ClusterStatus | undefined
  /** The DR mode of the last answered read since the last lapse (undefined: none yet). */
  let lastMode: string | undefined
  if (deps.registry !== undefined) {
    new Gauge({
      name: 'vault_dr_agent_serving',
      help: "What GET /serving answers now, from the agent's last status read: 1 for its reason, 0 for the others",
      labelNames: ['reason'],
      registers: [deps.registry],
      collect() {
        const current = last === undefined ? undefined : gate.decide(last).reason
        for (const reason of ServingReason.options) this.set({ reason }, reason === current ? 1 : 0)
      },
    })
  }
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const set = (by: ServingConfirmation['by'], at: number) => {
    if (confirmed === undefined) deps.log().info({ by }, 'serving: the primary role is confirmed')
    confirmed = { by, at: new Date(at).toISOString() }
  }
  const forget = (why: string) => {
    if (confirmed !== undefined) deps.log().warn({ why }, 'serving: the primary role is to be confirmed again')
    confirmed = undefined
  }

  const gate: ServingGate = {
    observe(status, readMs) {
      const t = now()
      last = status
      // Sealed counts as away: a Vault restarted after a power loss comes back sealed, and may have been failed away
      // from meanwhile as surely as one that did not answer.
      const away = !status.vault.reachable || status.vault.sealed !== false || status.replication === null
      const slow = readMs > SLOW_READ_MS
      if (slow || (away ? awaySince === null : awaySince !== null)) episode = randomUUID()
      // Away from when the read was sent: a read that hung before its answer (or its failure) counts as time away.
      if (away || slow) awaySince ??= t - readMs
      if (away) return
      const lapsed = awaySince !== null && t - awaySince > deps.reconfirmAfterMs
      if (lapsed) forget(`its Vault did not answer unsealed for ${Math.round((t - (awaySince ?? t)) / 1000)} s`)
      awaySince = null
      const before = lastMode
      const mode = status.replication?.mode
      lastMode = lapsed ? undefined : mode
      if (mode === 'secondary' || mode === 'bootstrapping') forget(`the cluster is a DR ${mode}`)
      else if (everySecondaryConnected(status)) set('secondary_connected', t)
      // Seen turning from a DR secondary into a DR primary with no gap: promoted (by this agent or under its eyes).
      else if (mode === 'primary' && before === 'secondary' && !lapsed) set('promote', t)
    },
    episode: () => episode,
    confirm(by, seen) {
      if (seen !== episode) return false
      set(by, now())
      return true
    },
    decide(status) {
      return { ...decideServing(status, deps.fence(), confirmed), episode }
    },
    start(read) {
      const tick = () => {
        if (stopped) return
        timer = setTimeout(async () => {
          await read().catch(() => undefined)
          tick()
        }, servingWatchEveryMs(deps.reconfirmAfterMs))
        timer.unref()
      }
      tick()
    },
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
  return gate
}
