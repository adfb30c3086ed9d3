import { type ClusterHandle, startCluster } from '@vault-dr/vault-sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { promtool, requirePromtool } from './helpers/promtool.ts'
import { SCRAPED_SERVICES, scrape } from './helpers/scrape-services.ts'

let cluster: ClusterHandle

beforeAll(async () => {
  await requirePromtool()
  cluster = await startCluster({ apiAddr: '127.0.0.1:0', clusterAddr: '127.0.0.1:0' })
})
afterAll(async () => {
  await cluster?.close()
})

describe.each(SCRAPED_SERVICES)('/metrics of the $name', (service) => {
  it('passes promtool check metrics, after serving requests', async () => {
    const body = await scrape(service, cluster)
    expect(body).toContain('vault_dr_http_requests_total{')
    expect(body).toContain(`${service.ownFamily}{`)
    // The process metrics stay, the per-type active handle gauges with them.
    expect(body).toContain('process_cpu_seconds_total')
    expect(body).toContain('nodejs_active_handles{')
    const lint = await promtool(['check', 'metrics'], body)
    expect(lint.output, 'promtool check metrics').toBe('')
    expect(lint.code).toBe(0)
  })
})
