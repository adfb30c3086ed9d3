import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RequestTallies } from './request-tallies.ts'

const traffic: Array<[string, string, number, number]> = [
  ['GET', '/v1/status', 200, 0.0004],
  ['GET', '/v1/status', 200, 0.001],
  ['GET', '/v1/status', 200, 0.003],
  ['GET', '/v1/status', 503, 0.7],
  ['POST', '/v1/dr/primary/enable', 200, 12],
  ['GET', 'unmatched', 404, 0.02],
]

/** What prom-client's own Counter and Histogram export for the same requests. */
async function reference(): Promise<string> {
  const registry = new Registry()
  registry.setDefaultLabels({ service: 'svc' })
  const requests = new Counter({
    name: 'vault_dr_http_requests_total',
    help: 'HTTP requests served, by route and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'vault_dr_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  for (const [method, route, status, seconds] of traffic) {
    requests.inc({ method, route, status_code: status })
    latency.observe({ method, route }, seconds)
  }
  return registry.metrics()
}

/** Sample lines with their labels sorted, so label order does not count. */
const normalized = (text: string) =>
  text
    .split('\n')
    .map((line) => line.replace(/\{(.*)\}/, (_, labels: string) => `{${labels.split(',').sort().join(',')}}`))
    .sort()

describe('RequestTallies', () => {
  it('exports what prom-client Counter and Histogram would for the same requests', async () => {
    const registry = new Registry()
    registry.setDefaultLabels({ service: 'svc' })
    const tallies = new RequestTallies()
    tallies.register(registry)
    for (const [method, route, status, seconds] of traffic) tallies.record(method, route, status, seconds)
    expect(normalized(await registry.metrics())).toEqual(normalized(await reference()))
  })

  it('counts requests made after a scrape on top of the earlier ones', async () => {
    const registry = new Registry()
    const tallies = new RequestTallies()
    tallies.register(registry)
    tallies.record('GET', '/v1/status', 200, 0.002)
    await registry.metrics()
    tallies.record('GET', '/v1/status', 200, 0.002)
    const text = await registry.metrics()
    expect(text).toContain('vault_dr_http_requests_total{method="GET",route="/v1/status",status_code="200"} 2')
    expect(text).toContain('vault_dr_http_request_duration_seconds_count{method="GET",route="/v1/status"} 2')
  })
})
