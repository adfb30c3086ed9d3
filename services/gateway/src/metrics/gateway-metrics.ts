import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { HandshakeState } from '../handshakes/handshakes.schemas.ts'
import type { Pair } from '../pairs/pairs.schemas.ts'

/** The gateway's own metrics: handshakes by state (read from the store at scrape), step durations, failures. */
export function createGatewayMetrics(registry: Registry, countByState: () => Promise<Record<HandshakeState, number>>) {
  new Gauge({
    name: 'vault_dr_handshakes',
    help: 'Handshakes in the store, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await countByState().catch(() => undefined)
      if (counts === undefined) return
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n)
    },
  })
  const stepDuration = new Histogram({
    name: 'vault_dr_handshake_step_duration_seconds',
    help: 'Duration of handshake steps, by step and outcome',
    labelNames: ['step', 'status'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  })
  const failures = new Counter({
    name: 'vault_dr_handshake_failures_total',
    help: 'Handshakes that failed, by diagnosis code',
    labelNames: ['code'],
    registers: [registry],
  })
  return {
    observeStep(_kind: string, step: string, status: string, seconds: number) {
      stepDuration.observe({ step, status }, seconds)
    },
    countFailure(_kind: string, code: string) {
      failures.inc({ code })
    },
  }
}
export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>

/**
 * Per pair (labels primary and secondary, the registered cluster names), set whenever the gateway reads a pair: by
 * its upkeep, by getPair, listPairs and getPairReadiness. A pair no longer listed (its roles swapped by a switchover,
 * a drill or a failover, a cluster removed) loses its series at the next upkeep or listPairs, so no alert fires on a
 * pair that is gone.
 */
export function createPairMetrics(registry: Registry) {
  const labelNames = ['primary', 'secondary'] as const
  const ready = new Gauge({
    name: 'vault_dr_pair_ready',
    help: 'Whether the pair passed its readiness checks (no check failed) the last time they ran: 1 or 0',
    labelNames,
    registers: [registry],
  })
  const lag = new Gauge({
    name: 'vault_dr_pair_lag_wals',
    help: 'WALs the secondary is behind the primary (primary last_wal minus secondary last_remote_wal)',
    labelNames,
    registers: [registry],
  })
  const heartbeat = new Gauge({
    name: 'vault_dr_pair_heartbeat_age_seconds',
    help: "Seconds since the secondary's last heartbeat from the primary",
    labelNames,
    registers: [registry],
  })
  const connected = new Gauge({
    name: 'vault_dr_pair_connected',
    help: 'Whether the secondary streams WALs from the primary (state stream-wals, connection ready): 1 or 0',
    labelNames,
    registers: [registry],
  })
  const merkle = new Gauge({
    name: 'vault_dr_pair_merkle_corrupted',
    help: 'Whether the secondary reports its merkle tree corrupted: 1 or 0 (absent when its Vault does not say)',
    labelNames,
    registers: [registry],
  })
  const expiry = new Gauge({
    name: 'vault_dr_operation_token_expiry_timestamp_seconds',
    help: "When the primary's DR operation token kept by vault-dr expires (Unix seconds)",
    labelNames,
    registers: [registry],
  })
  const gauges = [ready, lag, heartbeat, connected, merkle, expiry]
  const observed = new Map<string, { primary: string; secondary: string }>()
  const keyOf = (p: { primary: string; secondary: string }) => JSON.stringify([p.primary, p.secondary])
  const seen = (pair: Pair) => {
    const labels = { primary: pair.primary, secondary: pair.secondary }
    observed.set(keyOf(labels), labels)
    return labels
  }
  return {
    /** Removes the series of every pair observed that is not among `current`. */
    retainPairs(current: Array<{ primary: string; secondary: string }>) {
      const kept = new Set(current.map(keyOf))
      for (const [key, labels] of observed) {
        if (kept.has(key)) continue
        for (const gauge of gauges) gauge.remove(labels)
        observed.delete(key)
      }
    },
    observePair(pair: Pair) {
      const labels = seen(pair)
      const streams = pair.clusters.secondary.state === 'stream-wals' && pair.connection_state === 'ready'
      connected.set(labels, streams ? 1 : 0)
      if (pair.merkle_corrupted === null) merkle.remove(labels)
      else merkle.set(labels, pair.merkle_corrupted ? 1 : 0)
      if (pair.lag.wals === null) lag.remove(labels)
      else lag.set(labels, pair.lag.wals)
      if (pair.heartbeat_age_s === null) heartbeat.remove(labels)
      else heartbeat.set(labels, pair.heartbeat_age_s)
      if (pair.dr_operation_token === null) expiry.remove(labels)
      else expiry.set(labels, Date.parse(pair.dr_operation_token.expires_at) / 1000)
    },
    observeReady(pair: Pair, isReady: boolean) {
      ready.set(seen(pair), isReady ? 1 : 0)
    },
  }
}
export type PairMetrics = ReturnType<typeof createPairMetrics>
