import type { App } from '@vault-dr/core'
import { buildApp as buildGateway, loadGatewayConfig } from '@vault-dr/gateway'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import { type ClusterHandle, startCluster } from '@vault-dr/vault-sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { loadSecondaryAgentConfig } from '../services/secondary-agent/src/config.ts'
import { promtool, requirePromtool } from './helpers/promtool.ts'

const TOKEN = 'metrics-lint-token-0123456789abcdef'
const AUTH = { authorization: `Bearer ${TOKEN}` }

let cluster: ClusterHandle

beforeAll(async () => {
  await requirePromtool()
  cluster = await startCluster({ apiAddr: '127.0.0.1:0', clusterAddr: '127.0.0.1:0' })
})
afterAll(async () => {
  await cluster?.close()
})

const agentEnv = () => ({
  VAULT_DR_API_TOKEN: TOKEN,
  VAULT_ADDR: cluster.apiUrl,
  VAULT_TOKEN: cluster.rootToken,
  VAULT_DR_LOG_LEVEL: 'silent',
})

/** Each service, how to build it, an API route to call, and one of its own metric families that must have samples. */
const services: Array<[string, () => Promise<App>, string, string]> = [
  [
    'gateway',
    () =>
      buildGateway(
        loadGatewayConfig({ VAULT_DR_API_TOKEN: TOKEN, VAULT_DR_STORE: ':memory:', VAULT_DR_LOG_LEVEL: 'silent' }),
      ),
    '/v1/clusters',
    'vault_dr_handshakes{',
  ],
  [
    'primary-agent',
    () => buildPrimaryAgent(loadPrimaryAgentConfig(agentEnv())),
    '/v1/status',
    'vault_dr_replication_mode{',
  ],
  [
    'secondary-agent',
    () => buildSecondaryAgent(loadSecondaryAgentConfig(agentEnv())),
    '/v1/status',
    'vault_dr_replication_mode{',
  ],
]

describe.each(services)('/metrics of the %s', (_name, build, apiRoute, ownFamily) => {
  it('passes promtool check metrics, after serving requests', async () => {
    const app = await build()
    try {
      await app.ready()
      // A request to the API and one to readiness, so the request and Vault call series have samples too.
      await app.inject({ method: 'GET', url: apiRoute, headers: AUTH })
      await app.inject({ method: 'GET', url: '/readyz' })
      const { body } = await app.inject({ method: 'GET', url: '/metrics' })
      expect(body).toContain('vault_dr_http_requests_total{')
      expect(body).toContain(ownFamily)
      // The process metrics stay, the per-type active handle gauges with them.
      expect(body).toContain('process_cpu_seconds_total')
      expect(body).toContain('nodejs_active_handles{')
      const lint = await promtool(['check', 'metrics'], body)
      expect(lint.output, 'promtool check metrics').toBe('')
      expect(lint.code).toBe(0)
    } finally {
      await app.close()
    }
  })
})
