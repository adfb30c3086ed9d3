import type { CertificateAuthority } from './replication/ca.ts'

export type DrMode = 'disabled' | 'primary' | 'secondary' | 'bootstrapping'
export type SecondaryState = 'bootstrapping' | 'merkle-diff' | 'merkle-sync' | 'stream-wals' | 'idle' | 'connecting'
export type ConnectionState = 'connecting' | 'ready' | 'idle' | 'transient_failure' | 'shutdown'

export interface DisabledDrState {
  mode: 'disabled'
}

export interface PrimaryDrState {
  mode: 'primary'
  /** The replication-set id, shared with every secondary. */
  clusterId: string
  /** The `primary_cluster_addr` given to enable/promote, '' when unset. */
  primaryClusterAddr: string
  ca: CertificateAuthority
  /** Every non-revoked secondary id, in issue order (known_secondaries). */
  secondaries: Map<string, SecondaryRecord>
}

export interface SecondaryRecord {
  id: string
  certFingerprint: string
  connection: PeerConnection | undefined
}

export interface PeerConnection {
  apiAddress: string
  clusterAddress: string
  connected: boolean
  lastHeartbeat: Date
  /** How long the last heartbeat took to arrive (last_heartbeat_duration_ms, D6). */
  lastHeartbeatDurationMs: number
}

export interface SecondaryDrState {
  mode: 'secondary' | 'bootstrapping'
  clusterId: string
  secondaryId: string
  state: SecondaryState
  connectionState: ConnectionState
  primaryClusterAddr: string
  knownPrimaryClusterAddrs: string[]
  primary: PeerConnection | undefined
  lastStart: Date
  /** Unix seconds of the bootstrap reindex ('0' for a demoted primary, which never bootstrapped; D12). */
  reindexEpoch: string
  /** What it needs to reach its primary; undefined for a demoted primary, which connects to nothing. */
  credentials: SecondaryCredentials | undefined
  /** Set while a merkle sync runs (sync_progress / sync_total_keys). */
  sync: { progress: number; total: number } | undefined
}

export type DrState = DisabledDrState | PrimaryDrState | SecondaryDrState

/** What a secondary gets from unwrapping its activation token (the emulator's own format). */
export interface SecondaryCredentials {
  secondaryId: string
  clusterId: string
  primaryApiAddr: string
  primaryClusterAddrs: string[]
  /** The primary's cluster-listener certificate, the trust anchor for dialling it. */
  primaryClusterCaPem: string
  clientCertPem: string
  clientKeyPem: string
}

export function isSecondaryMode(dr: DrState): dr is SecondaryDrState {
  return dr.mode === 'secondary' || dr.mode === 'bootstrapping'
}
