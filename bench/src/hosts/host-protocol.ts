import type { SimTimings } from '@vault-dr/vault-sim'

/** Messages between the orchestrator and a cluster host, over the IPC channel only. */
export type HostRequest =
  | {
      id: number
      type: 'sims'
      group: string
      offset: number
      count: number
      host: string
      timings: Partial<SimTimings>
      /** Listen on these addresses with these root tokens (one per cluster), e.g. to replace a cluster in place. */
      fixed?: Array<{ apiAddr: string; clusterAddr: string; rootToken: string }>
    }
  | {
      id: number
      type: 'secondaries'
      group: string
      offset: number
      count: number
      host: string
      timings: Partial<SimTimings>
      agent: { statusCacheMs: number; probeTimeoutMs: number; waitTimeoutMs: number; logLevel: string }
      /** Each agent keeps its fencing epoch in `<stateDir>/<name>`: its own, as in production. */
      stateDir: string
    }
  | { id: number; type: 'states'; group: string }
  | { id: number; type: 'close-group'; group: string }
  | { id: number; type: 'shutdown' }

export type HostReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }

export interface SimInfo {
  name: string
  apiUrl: string
  clusterUrl: string
  rootToken: string
}

export interface SecondaryInfo extends SimInfo {
  agentUrl: string
  agentToken: string
}

/** "mode/state/connection_state" → number of clusters. */
export type StateCounts = Record<string, number>
