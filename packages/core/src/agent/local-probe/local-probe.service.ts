import { diagnoseConnection } from '../../probes/diagnosis.ts'
import { parseVaultAddress } from '../../probes/parse-address.ts'
import { DR_REPLICATION_ALPN, probeTls } from '../../probes/tls-probe.ts'
import { readVaultHealth } from '../../replication/vault-health.ts'
import type { VaultAgent } from '../vault-agent.ts'
import type { LocalProbeResult } from './local-probe.schemas.ts'

type ClusterCheck = LocalProbeResult['cluster']

/**
 * Checks the local cluster's two listeners the way a secondary will meet them, connecting to the cluster port
 * directly so its certificate fingerprint can be compared with what the secondary sees through the network.
 */
export async function probeLocalCluster(
  agent: VaultAgent,
  opts: { clusterAddr: string | undefined; timeoutMs: number },
): Promise<LocalProbeResult> {
  const [health, leader] = await Promise.all([
    readVaultHealth(agent.vault),
    agent.vault.read('sys/leader', { token: null }).then(
      (res) => res.body as Record<string, unknown> | undefined,
      () => undefined,
    ),
  ])
  const advertised = {
    api_addr: stringOrNull(leader?.leader_address),
    cluster_addr: stringOrNull(leader?.leader_cluster_address),
  }
  const clusterAddress = opts.clusterAddr ?? advertised.cluster_addr
  // sys/leader had no answer either: "no cluster address" would send the operator to Vault's configuration.
  const cluster =
    !health.reachable && clusterAddress === null
      ? vaultSilent(health.error ?? 'unreachable')
      : await probeClusterListener(clusterAddress, opts.timeoutMs)
  agent.metrics.recordProbe({
    name: 'local_cluster_tls',
    status: cluster.dr_alpn ? 'pass' : 'fail',
    code: cluster.code,
  })
  return {
    ok: health.reachable && cluster.dr_alpn,
    api: {
      address: agent.vault.addr,
      reachable: health.reachable,
      health_code: health.health_code,
      detail: health.reachable ? `sys/health answered ${health.health_code}` : (health.error ?? 'unreachable'),
    },
    cluster,
    advertised,
  }
}

async function probeClusterListener(address: string | null, timeoutMs: number): Promise<ClusterCheck> {
  const none = { reachable: false, alpn: null, dr_alpn: false, fingerprint_sha256: null, latency_ms: 0 }
  if (address === null) {
    return {
      ...none,
      address,
      code: 'NO_CLUSTER_ADDR',
      detail: 'Vault advertises no cluster address (sys/leader)',
      fix: 'Set cluster_addr in the Vault configuration, or VAULT_DR_CLUSTER_ADDR for this agent.',
    }
  }
  let target: { host: string; port: number }
  try {
    target = parseVaultAddress(address, 8201)
  } catch (err) {
    return {
      ...none,
      address,
      code: 'BAD_CLUSTER_ADDR',
      detail: `The cluster address ${JSON.stringify(address)} cannot be dialled: ${(err as Error).message}`,
      fix: 'Set cluster_addr in the Vault configuration to https://<host>:8201, or VAULT_DR_CLUSTER_ADDR for this agent.',
    }
  }
  const { host, port } = target
  const tls = await probeTls({ host, port, timeoutMs, alpn: [DR_REPLICATION_ALPN] })
  if (!tls.ok) {
    const diagnosis = diagnoseConnection(tls.failure, 'the cluster port', address)
    // A listener that refuses the DR protocol is still reachable: Vault answers, DR is just not on yet.
    return {
      ...none,
      address,
      reachable: diagnosis.code === 'DR_NOT_ENABLED',
      latency_ms: tls.latency_ms,
      ...diagnosis,
    }
  }
  const drAlpn = tls.alpn === DR_REPLICATION_ALPN
  return {
    address,
    reachable: true,
    alpn: tls.alpn,
    dr_alpn: drAlpn,
    fingerprint_sha256: tls.fingerprint_sha256,
    latency_ms: tls.latency_ms,
    code: drAlpn ? 'OK' : 'NO_VAULT_ALPN',
    detail: drAlpn
      ? `The cluster listener serves ${DR_REPLICATION_ALPN}`
      : `The listener at ${address} negotiated ${tls.alpn ?? 'no protocol'}, not ${DR_REPLICATION_ALPN}`,
    fix: drAlpn ? null : 'Point VAULT_DR_CLUSTER_ADDR (or Vault cluster_addr) at the Vault node itself, not a proxy.',
  }
}

function vaultSilent(error: string): ClusterCheck {
  return {
    address: null,
    reachable: false,
    alpn: null,
    dr_alpn: false,
    fingerprint_sha256: null,
    latency_ms: 0,
    code: 'VAULT_UNREACHABLE',
    detail: `not checked: Vault did not answer sys/health or sys/leader, which name the cluster address (${error})`,
    fix: "Make the agent's Vault answer first (see the vault check of /readyz); or set VAULT_DR_CLUSTER_ADDR for this agent.",
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}
