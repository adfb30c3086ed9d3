import type { NetworkFailure } from './classify-network-error.ts'
import { refusedReplicationProtocol } from './tls-probe.ts'

/** A diagnosis code and an operator's fix for one failed connection. */
export interface Diagnosis {
  code: string
  detail: string
  fix: string
}

/** Names the failure of a TCP or TLS connection to `what` (e.g. "the primary's cluster port 8201"). */
export function diagnoseConnection(failure: NetworkFailure, what: string, address: string): Diagnosis {
  switch (failure.kind) {
    case 'refused':
      return {
        code: 'CONNECTION_REFUSED',
        detail: `${address} refused the connection (${failure.code})`,
        fix: `Nothing listens on ${what} at ${address}: check the address Vault advertises and that the listener binds to a reachable interface.`,
      }
    case 'timeout':
      return {
        code: 'TIMEOUT',
        detail: `${address} did not answer: ${failure.detail}`,
        fix: `A firewall or security group probably drops traffic to ${what}: open it from this network, and check no HTTP proxy intercepts it (NO_PROXY).`,
      }
    case 'dns':
      return {
        code: 'DNS_FAILURE',
        detail: `The name in ${address} does not resolve here (${failure.code})`,
        fix: 'Use an address that resolves from this network, or fix DNS.',
      }
    case 'reset':
      return {
        code: 'CONNECTION_RESET',
        detail: `${address} reset the connection (${failure.code})`,
        fix: `A middlebox or proxy cuts connections to ${what}: allow it end to end (layer-4 pass-through).`,
      }
    case 'unreachable':
      return {
        code: 'HOST_UNREACHABLE',
        detail: `No route to ${address} (${failure.code})`,
        fix: 'Fix routing between the two networks.',
      }
    case 'tls':
      if (refusedReplicationProtocol(failure)) {
        return {
          code: 'DR_NOT_ENABLED',
          detail: `${address} has no handler for Vault's DR replication protocol (replication_dr_v1): DR primary is not enabled, the node is sealed, or it is a standby (${failure.code})`,
          fix: 'Enable DR primary on the cluster (enableDrPrimary); the check passes once it serves DR replication. If it is a DR primary already, the address reaches a standby node: use the active node (sys/leader leader_cluster_address).',
        }
      }
      return {
        code: 'TLS_HANDSHAKE_FAILED',
        detail: `The TLS handshake with ${address} failed: ${failure.detail}`,
        fix: `Make sure ${what} is Vault's own TLS listener, reached without TLS interception.`,
      }
    default:
      return {
        code: 'CONNECTION_FAILED',
        detail: `Connecting to ${address} failed: ${failure.detail}`,
        fix: `Check that ${what} is reachable from this network.`,
      }
  }
}

export const TLS_TERMINATED_FIX = 'TLS is terminated between the clusters: configure TCP passthrough on 8201'
