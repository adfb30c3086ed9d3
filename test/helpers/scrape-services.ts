import type { App } from '@vault-dr/core'
import { buildApp as buildGateway, loadGatewayConfig } from '@vault-dr/gateway'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { loadPrimaryAgentConfig } from '../../services/primary-agent/src/config.ts'
import { loadSecondaryAgentConfig } from '../../services/secondary-agent/src/config.ts'

const TOKEN = 'metrics-scrape-token-0123456789abcdef'

export interface ScrapedService {
  name: 'gateway' | 'primary-agent' | 'secondary-agent'
  /** Builds the service with a minimal config; the agents talk to the given vault-sim cluster. */
  build: (cluster: ClusterHandle) => Promise<App>
  /** An API route to call before scraping, so the request (and Vault call) series have samples. */
  apiRoute: string
  /** One of the service's own metric families that has samples after that call. */
  ownFamily: string
}

const agentEnv = (cluster: ClusterHandle) => ({
  VAULT_DR_API_TOKEN: TOKEN,
  VAULT_ADDR: cluster.apiUrl,
  VAULT_TOKEN: cluster.rootToken,
  VAULT_DR_LOG_LEVEL: 'silent',
})

export const SCRAPED_SERVICES: ScrapedService[] = [
  {
    name: 'gateway',
    build: () =>
      buildGateway(
        loadGatewayConfig({ VAULT_DR_API_TOKEN: TOKEN, VAULT_DR_STORE: ':memory:', VAULT_DR_LOG_LEVEL: 'silent' }),
      ),
    apiRoute: '/v1/clusters',
    ownFamily: 'vault_dr_handshakes',
  },
  {
    name: 'primary-agent',
    build: (cluster) => buildPrimaryAgent(loadPrimaryAgentConfig(agentEnv(cluster))),
    apiRoute: '/v1/status',
    ownFamily: 'vault_dr_replication_mode',
  },
  {
    name: 'secondary-agent',
    build: (cluster) => buildSecondaryAgent(loadSecondaryAgentConfig(agentEnv(cluster))),
    apiRoute: '/v1/status',
    ownFamily: 'vault_dr_replication_mode',
  },
]

/** Starts the service, calls its API route and /readyz, and answers what its /metrics then serves; closes it. */
export async function scrape(service: ScrapedService, cluster: ClusterHandle): Promise<string> {
  const app = await service.build(cluster)
  try {
    await app.ready()
    await app.inject({ method: 'GET', url: service.apiRoute, headers: { authorization: `Bearer ${TOKEN}` } })
    await app.inject({ method: 'GET', url: '/readyz' })
    return (await app.inject({ method: 'GET', url: '/metrics' })).body
  } finally {
    await app.close()
  }
}
