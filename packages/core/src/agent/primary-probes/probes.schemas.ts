import { z } from 'zod'
import { ApiAddress, CaPem, ClusterAddress } from '../agent-inputs.ts'

/** SHA-256 of a DER certificate: 64 hex digits, optionally colon-separated pairs (openssl/node style). */
export const FINGERPRINT_PATTERN = /^(?:[0-9a-fA-F]{64}|(?:[0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2})$/

export const ProbePrimaryRequest = z
  .object({
    api_addr: ApiAddress.optional().describe(
      "The primary's API address (unwrap over 8200), as scheme://host:port (http or https; the port defaults to " +
        '8200); leave it out to probe the cluster addresses alone',
    ),
    cluster_addrs: z
      .array(ClusterAddress)
      .min(1)
      .max(8)
      .describe(
        "Every address the secondary will dial on the cluster port: primary_cluster_addr and each primary node's cluster_addr (known_primary_cluster_addrs)",
      ),
    expected_fingerprint: z
      .string()
      .regex(FINGERPRINT_PATTERN, 'must be a SHA-256 fingerprint: 64 hex digits, colons allowed')
      .optional()
      .describe(
        "SHA-256 of the primary's cluster-port certificate (the primary agent reports it); any other certificate means a middlebox",
      ),
    expected_cluster_id: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe(
        'sys/health cluster_id of the intended primary; another value means the address reaches another cluster',
      ),
    ca_pem: CaPem.optional().describe(
      "CA bundle for the primary's API certificate; default VAULT_DR_PRIMARY_CACERT, then the system roots",
    ),
    timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .optional()
      .describe('Deadline of each network step (connect, handshake, request); default VAULT_DR_PROBE_TIMEOUT_MS'),
  })
  .strict()
  .meta({
    id: 'ProbePrimaryRequest',
    examples: [
      {
        api_addr: 'https://vault-primary.example.com:8200',
        cluster_addrs: ['https://10.0.1.10:8201', 'https://10.0.1.11:8201'],
        expected_fingerprint: '3f0c5a2e9b7d41c8a6e2f0b19d3c7e5a8b4f6d2c1e0a9b8c7d6e5f4a3b2c1d0e',
      },
    ],
  })
export type ProbePrimaryRequest = z.infer<typeof ProbePrimaryRequest>

export const PROBE_CODES = [
  'OK',
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'DNS_FAILURE',
  'CONNECTION_RESET',
  'HOST_UNREACHABLE',
  'NETWORK_ERROR',
  'API_NOT_TLS',
  'TLS_UNTRUSTED',
  'TLS_HANDSHAKE_FAILED',
  'NOT_VAULT',
  'PRIMARY_NOT_INITIALIZED',
  'PRIMARY_SEALED',
  'NOT_ENTERPRISE',
  'WRONG_CLUSTER',
  'PRIMARY_IS_SECONDARY',
  'PRIMARY_STANDBY',
  'DR_NOT_ENABLED',
  'TLS_TERMINATED',
  'FINGERPRINT_NOT_COMPARED',
  'ACTIVATION_CA_MISSING',
  'ACTIVATION_CA_UNTRUSTED',
  'ACTIVATION_CA_NOT_CHECKED',
] as const
export type ProbeCode = (typeof PROBE_CODES)[number]

export const ProbeCheck = z
  .object({
    name: z
      .string()
      .describe(
        "api_tcp, api_tls, activation_ca (https only: will the secondary's Vault trust the certificate when it unwraps), api_vault, then per cluster address cluster_tcp, cluster_tls, cluster_fingerprint (suffixed [i] when several)",
      ),
    target: z.string().describe('host:port probed'),
    status: z.enum(['pass', 'warn', 'fail']),
    code: z.enum(PROBE_CODES).describe('Diagnosis; branch on this, never on detail'),
    detail: z.string(),
    fix: z.string().nullable().describe('What an operator can do; null on pass'),
    latency_ms: z.number(),
  })
  .meta({ id: 'ProbeCheck' })
export type ProbeCheck = z.infer<typeof ProbeCheck>

export const ProbePrimaryResult = z
  .object({
    ok: z.boolean().describe('No check failed (warnings allowed)'),
    timeout_ms: z.number().int(),
    checks: z
      .array(ProbeCheck)
      .describe(
        'In order. A check that depends on a failed one is left out: after a failed api_tcp there is no api_tls or api_vault, after a failed cluster_tcp no cluster_tls, and cluster_fingerprint only when the handshake showed a certificate.',
      ),
  })
  .meta({
    id: 'ProbePrimaryResult',
    examples: [
      {
        ok: false,
        timeout_ms: 3000,
        checks: [
          {
            name: 'api_tcp',
            target: 'vault-primary.example.com:8200',
            status: 'pass',
            code: 'OK',
            detail: 'connected',
            fix: null,
            latency_ms: 1.2,
          },
          {
            name: 'cluster_tls',
            target: '10.0.1.10:8201',
            status: 'fail',
            code: 'TLS_TERMINATED',
            detail:
              'TLS is terminated between the clusters: 10.0.1.10:8201 completed the handshake without negotiating ALPN replication_dr_v1 (it chose h2)',
            fix: 'TLS is terminated between the clusters: configure TCP passthrough on 8201 (layer-4, no TLS termination or re-encryption), so the secondary reaches Vault’s own mutual-TLS listener.',
            latency_ms: 4.8,
          },
        ],
      },
    ],
  })
export type ProbePrimaryResult = z.infer<typeof ProbePrimaryResult>
