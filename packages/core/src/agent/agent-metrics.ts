import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { DrReplicationStatus } from '../replication/dr-status.ts'

const MODES = ['primary', 'secondary', 'bootstrapping', 'disabled', 'unknown'] as const

/** The metrics both agents publish: replication mode/state, WAL positions, Vault call latency, probe results. */
export function createAgentMetrics(registry: Registry) {
  const mode = new Gauge({
    name: 'vault_dr_replication_mode',
    help: 'DR replication mode of the local cluster (1 for the current mode)',
    labelNames: ['mode'],
    registers: [registry],
  })
  const state = new Gauge({
    name: 'vault_dr_replication_state_info',
    help: 'DR replication state and connection state of the local cluster (value 1)',
    labelNames: ['state', 'connection_state'],
    registers: [registry],
  })
  const wal = new Gauge({
    name: 'vault_dr_wal_index',
    help: 'WAL positions: last_wal on a primary, last_remote_wal on a secondary',
    labelNames: ['kind'],
    registers: [registry],
  })
  const secondaries = new Gauge({
    name: 'vault_dr_connected_secondaries',
    help: 'Secondaries the primary lists as connected',
    registers: [registry],
  })
  const vaultCalls = new Histogram({
    name: 'vault_dr_vault_call_duration_seconds',
    help: 'Latency of calls to the local Vault',
    labelNames: ['method', 'path', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const probes = new Counter({
    name: 'vault_dr_probe_checks_total',
    help: 'Probe checks run, by check name, status and diagnosis code',
    labelNames: ['check', 'status', 'code'],
    registers: [registry],
  })
  return {
    recordVaultCall(call: { method: string; path: string; status: number | 'error'; seconds: number }) {
      vaultCalls.observe({ method: call.method, path: call.path, status: String(call.status) }, call.seconds)
    },
    recordStatus(status: DrReplicationStatus) {
      for (const m of MODES) mode.set({ mode: m }, m === status.mode ? 1 : 0)
      state.reset()
      state.set({ state: status.state ?? 'none', connection_state: status.connection_state ?? 'none' }, 1)
      if (status.last_wal !== null) wal.set({ kind: 'last_wal' }, status.last_wal)
      if (status.last_remote_wal !== null) wal.set({ kind: 'last_remote_wal' }, status.last_remote_wal)
      secondaries.set(status.secondaries.filter((s) => s.connection_status === 'connected').length)
    },
    recordProbe(check: { name: string; status: string; code: string }) {
      probes.inc({ check: check.name, status: check.status, code: check.code })
    },
  }
}
export type AgentMetrics = ReturnType<typeof createAgentMetrics>
