import { normalizeFingerprint } from '../../probes/tls-probe.ts'
import type { AgentMetrics } from '../agent-metrics.ts'
import { probeApi } from './api-probe.ts'
import { probeClusterAddress } from './cluster-probe.ts'
import type { ProbePrimaryRequest, ProbePrimaryResult } from './probes.schemas.ts'

export interface ProbesServiceDeps {
  metrics: AgentMetrics
  /** Default deadline of each network step. */
  probeTimeoutMs: number
  /** Default CA for the primary's API certificate (VAULT_DR_PRIMARY_CACERT). */
  primaryCaPem: string | undefined
  /** The ca_file activation gives the secondary's Vault (VAULT_DR_ACTIVATION_CA_FILE). */
  activationCaFile?: string | undefined
}

export interface ProbesService {
  probePrimary(request: ProbePrimaryRequest): Promise<ProbePrimaryResult>
}

/**
 * Checks, from the secondary's network, what activation will need of the primary: its API (unwrap over 8200) and
 * each cluster address (bootstrap and streaming over 8201, mutual TLS with ALPN replication_dr_v1, which no
 * TLS-terminating middlebox can pass). Each step has its own deadline; a check that depends on a failed one is
 * left out, so the first failure on each path is the one reported.
 */
export function createProbesService(deps: ProbesServiceDeps): ProbesService {
  return {
    async probePrimary(request) {
      const timeoutMs = request.timeout_ms ?? deps.probeTimeoutMs
      const caPem = request.ca_pem ?? deps.primaryCaPem
      const expectedFingerprint =
        request.expected_fingerprint === undefined ? undefined : normalizeFingerprint(request.expected_fingerprint)
      const many = request.cluster_addrs.length > 1
      const [apiChecks, ...clusterChecks] = await Promise.all([
        request.api_addr === undefined
          ? []
          : probeApi(request.api_addr, {
              timeoutMs,
              caPem,
              expectedClusterId: request.expected_cluster_id,
              activationCaFile: deps.activationCaFile,
            }),
        ...request.cluster_addrs.map((address, i) =>
          probeClusterAddress(address, many ? `[${i}]` : '', { timeoutMs, expectedFingerprint }),
        ),
      ])
      const checks = [...apiChecks, ...clusterChecks.flat()]
      for (const c of checks) {
        deps.metrics.recordProbe({ name: c.name.replace(/\[\d+\]$/, ''), status: c.status, code: c.code })
      }
      return { ok: checks.every((c) => c.status !== 'fail'), timeout_ms: timeoutMs, checks }
    },
  }
}
