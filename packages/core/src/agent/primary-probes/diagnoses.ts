import type { NetworkFailure } from '../../probes/classify-network-error.ts'
import type { ProbeCode } from './probes.schemas.ts'

/** Which side of the primary a check looks at: its API (8200) or a cluster port (8201). */
export type Side = 'api' | 'cluster'

export interface FixContext {
  side: Side
  host: string
  port: number
  timeoutMs: number
}

export const TLS_TERMINATED_FIX =
  "TLS is terminated between the clusters: configure TCP passthrough on 8201 (layer-4 load balancing, no TLS termination or re-inspection), so the secondary reaches Vault's own mutual-TLS cluster listener."

/** The probe code for a connect/handshake failure, told apart by core's classifier. */
export function networkCode(failure: NetworkFailure): ProbeCode {
  switch (failure.kind) {
    case 'refused':
      return 'CONNECTION_REFUSED'
    case 'timeout':
      return 'TIMEOUT'
    case 'dns':
      return 'DNS_FAILURE'
    case 'reset':
      return 'CONNECTION_RESET'
    case 'unreachable':
      return 'HOST_UNREACHABLE'
    case 'tls':
      return 'TLS_HANDSHAKE_FAILED'
    default:
      return 'NETWORK_ERROR'
  }
}

/** What an operator can do about a network-level failure on one side. */
export function networkFix(code: ProbeCode, { side, host, port, timeoutMs }: FixContext): string {
  const target = `${host}:${port}`
  const role = side === 'api' ? 'API' : 'cluster'
  switch (code) {
    case 'CONNECTION_REFUSED':
      return side === 'api'
        ? `Nothing accepts connections on ${target}: check the primary's api_addr and listener address, that Vault runs there, and that tcp/${port} is open from the secondary's network (or pass the address that is).`
        : `Nothing accepts connections on ${target}: check the primary's cluster_addr (listener cluster_address, by default the API port + 1), that it is not bound to 127.0.0.1, and that tcp/${port} is open from the secondary.`
    case 'TIMEOUT':
      return `No answer from ${target} within ${timeoutMs} ms: a firewall or security group drops the traffic, or the address routes nowhere. Open tcp/${port} from the secondary to the primary's ${role} address, and keep it out of HTTP proxies (NO_PROXY).`
    case 'DNS_FAILURE':
      return `${host} does not resolve from the secondary's network: use a name that resolves here (cluster-internal names such as Kubernetes pod or service names do not), or an IP address.`
    case 'CONNECTION_RESET':
      return `Something on the path resets connections to ${target}: a firewall, a proxy or a layer-7 load balancer. Allow tcp/${port} end to end${side === 'cluster' ? ' and configure TCP passthrough on 8201' : ''}.`
    case 'HOST_UNREACHABLE':
      return `No route to ${host}: check routing, VPN or peering, and security groups between the secondary and the primary.`
    default:
      return `Check ${target} and the network path from the secondary; the detail has the system error.`
  }
}

/** The fix for a TLS handshake that failed on the cluster port (after TCP connected). */
export function clusterHandshakeFix(code: ProbeCode, { host, port, timeoutMs }: FixContext): string {
  const target = `${host}:${port}`
  if (code === 'TIMEOUT') {
    return `${target} accepts TCP but did not answer the TLS handshake within ${timeoutMs} ms: a proxy or firewall holds the connection, or the port is not Vault's cluster listener. Configure TCP passthrough on 8201 and keep it out of HTTP proxies (NO_PROXY).`
  }
  if (code === 'CONNECTION_RESET') {
    return `${target} closed the connection during the TLS handshake, as layer-7 proxies and some firewalls do: configure TCP passthrough on 8201 and check the port is Vault's cluster listener.`
  }
  if (code === 'TLS_HANDSHAKE_FAILED') {
    return `Vault's cluster listener refused the handshake. A standby node, or a cluster that is not a DR primary, answers this way ("tls: internal error"): point the address at the active node (sys/leader leader_cluster_address), or have the load balancer health-check /v1/sys/health so only the active node gets traffic.`
  }
  return networkFix(code, { side: 'cluster', host, port, timeoutMs })
}

/** The fix for a certificate on the primary's API that does not verify. */
export function untrustedFix(authorizationError: string, host: string): string {
  if (authorizationError.includes('ALTNAME')) {
    return `The certificate does not name ${host}: use an address the certificate carries (the primary's api_addr), or reissue it with this name.`
  }
  if (authorizationError.includes('EXPIRED')) return "The primary's API certificate has expired: renew it."
  return "Set VAULT_DR_PRIMARY_CACERT on the secondary's agent to the CA that signed the primary's API certificate (or send it as ca_pem when calling this probe yourself). Activation needs it too, as a file on the secondary's Vault servers: set VAULT_DR_ACTIVATION_CA_FILE to its path (Vault reads it as ca_file)."
}
