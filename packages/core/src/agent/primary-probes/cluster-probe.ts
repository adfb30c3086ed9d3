import { DR_REPLICATION_ALPN, probeTls, refusedReplicationProtocol } from '../../probes/tls-probe.ts'
import { DEFAULT_CLUSTER_PORT } from '../../replication/vault-address.ts'
import { clusterHandshakeFix, networkCode, TLS_TERMINATED_FIX } from './diagnoses.ts'
import { check, targetOf, tcpCheck } from './probe-checks.ts'
import type { ProbeCheck } from './probes.schemas.ts'

export async function probeClusterAddress(
  address: string,
  suffix: string,
  opts: { timeoutMs: number; expectedFingerprint: string | undefined },
): Promise<ProbeCheck[]> {
  const target = targetOf(address, DEFAULT_CLUSTER_PORT, 'cluster', opts.timeoutMs)
  const tcp = await tcpCheck(`cluster_tcp${suffix}`, target)
  if (tcp.status === 'fail') return [tcp]

  const name = `cluster_tls${suffix}`
  const tls = await probeTls({
    host: target.host,
    port: target.port,
    timeoutMs: opts.timeoutMs,
    alpn: [DR_REPLICATION_ALPN],
    verify: false,
  })
  if (!tls.ok) {
    const code = networkCode(tls.failure)
    if (refusedReplicationProtocol(tls.failure)) {
      return [
        tcp,
        check(
          name,
          target,
          'warn',
          'DR_NOT_ENABLED',
          `${target.label} refused the handshake offering ALPN ${DR_REPLICATION_ALPN} (${tls.failure.code}), as a Vault cluster listener with no DR replication handler does`,
          'The primary is not a DR primary yet: enable DR primary on it (the gateway re-checks after enabling). If it is one, this address reaches a standby node or another cluster: point it at the active node.',
          tls.latency_ms,
        ),
      ]
    }
    return [
      tcp,
      check(name, target, 'fail', code, tls.failure.detail, clusterHandshakeFix(code, target), tls.latency_ms),
    ]
  }

  const seen = `certificate CN ${tls.subject || '-'}, sha256 ${tls.fingerprint_sha256}`
  const tlsCheck =
    tls.alpn === DR_REPLICATION_ALPN
      ? check(name, target, 'pass', 'OK', `negotiated ALPN ${DR_REPLICATION_ALPN}; ${seen}`, null, tls.latency_ms)
      : check(
          name,
          target,
          'fail',
          'TLS_TERMINATED',
          `TLS is terminated between the clusters: ${target.label} completed the handshake without negotiating ALPN ${DR_REPLICATION_ALPN} (it chose ${tls.alpn ?? 'none'}; ${seen}), which Vault's cluster listener never does`,
          TLS_TERMINATED_FIX,
          tls.latency_ms,
        )

  const fpName = `cluster_fingerprint${suffix}`
  const fingerprint =
    opts.expectedFingerprint === undefined
      ? check(
          fpName,
          target,
          'warn',
          'FINGERPRINT_NOT_COMPARED',
          `presented ${seen}; no expected_fingerprint to compare with`,
          "Pass expected_fingerprint (the primary agent reports its cluster certificate's SHA-256) so a middlebox presenting its own certificate is caught.",
          0,
        )
      : tls.fingerprint_sha256 === opts.expectedFingerprint
        ? check(fpName, target, 'pass', 'OK', `presented the primary's certificate (${seen})`, null, 0)
        : check(
            fpName,
            target,
            'fail',
            'TLS_TERMINATED',
            `TLS is terminated between the clusters: ${target.label} presented ${seen}, not the primary's certificate sha256 ${opts.expectedFingerprint} (a middlebox answers with its own certificate, or the address reaches another cluster)`,
            TLS_TERMINATED_FIX,
            0,
          )
  return [tcp, tlsCheck, fingerprint]
}
