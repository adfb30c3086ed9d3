import { z } from 'zod'

export const LocalProbeResult = z
  .object({
    ok: z.boolean().describe('Both listeners answer and the cluster port serves DR replication'),
    api: z.object({
      address: z.string(),
      reachable: z.boolean(),
      health_code: z.number().int().nullable(),
      detail: z.string(),
    }),
    cluster: z.object({
      address: z.string().nullable().describe('The cluster listener probed directly (no load balancer)'),
      reachable: z.boolean(),
      alpn: z.string().nullable().describe('The ALPN protocol the listener negotiated'),
      dr_alpn: z.boolean().describe('Whether it negotiated replication_dr_v1'),
      fingerprint_sha256: z.string().nullable().describe('SHA-256 of the certificate it presents, lower-case hex'),
      code: z.string(),
      detail: z.string(),
      fix: z.string().nullable(),
      latency_ms: z.number(),
    }),
    advertised: z.object({
      api_addr: z.string().nullable().describe("sys/leader's leader_address"),
      cluster_addr: z.string().nullable().describe("sys/leader's leader_cluster_address"),
    }),
  })
  .meta({ id: 'LocalProbeResult' })
export type LocalProbeResult = z.infer<typeof LocalProbeResult>
