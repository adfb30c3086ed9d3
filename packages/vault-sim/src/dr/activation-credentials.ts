import type { SecondaryCredentials } from '../state.ts'

/** The wrapped response of secondary-token, as the primary's unwrap returns it in `data`. */
export function credentialsToWire(c: SecondaryCredentials): Record<string, unknown> {
  return {
    secondary_id: c.secondaryId,
    cluster_id: c.clusterId,
    primary_api_addr: c.primaryApiAddr,
    primary_cluster_addrs: c.primaryClusterAddrs,
    primary_cluster_ca_pem: c.primaryClusterCaPem,
    client_cert_pem: c.clientCertPem,
    client_key_pem: c.clientKeyPem,
  }
}

export function credentialsFromWire(data: unknown): SecondaryCredentials | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const d = data as Record<string, unknown>
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : undefined)
  const addrs = Array.isArray(d.primary_cluster_addrs)
    ? d.primary_cluster_addrs.filter((a) => typeof a === 'string')
    : []
  const secondaryId = text('secondary_id')
  const clusterId = text('cluster_id')
  const primaryClusterCaPem = text('primary_cluster_ca_pem')
  const clientCertPem = text('client_cert_pem')
  const clientKeyPem = text('client_key_pem')
  if (!secondaryId || !clusterId || !primaryClusterCaPem || !clientCertPem || !clientKeyPem || addrs.length === 0) {
    return undefined
  }
  return {
    secondaryId,
    clusterId,
    primaryApiAddr: text('primary_api_addr') ?? '',
    primaryClusterAddrs: addrs,
    primaryClusterCaPem,
    clientCertPem,
    clientKeyPem,
  }
}
