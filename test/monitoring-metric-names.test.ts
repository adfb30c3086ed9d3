import { readFile } from 'node:fs/promises'
import { type ClusterHandle, startCluster } from '@vault-dr/vault-sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardFile, rulesFile, rulesTestFile } from './helpers/deploy-files.ts'
import { SCRAPED_SERVICES, scrape } from './helpers/scrape-services.ts'

/**
 * Metrics the rules and dashboard use that no service exports yet, with their labels: the per-pair contract of the
 * pairs issue, which the gateway exports from the pairs it watches.
 */
const CONTRACTS: Record<string, string[]> = {
  vault_dr_pair_connected: ['primary', 'secondary'],
  vault_dr_pair_ready: ['primary', 'secondary'],
  vault_dr_pair_lag_wals: ['primary', 'secondary'],
  vault_dr_pair_heartbeat_age_seconds: ['primary', 'secondary'],
  vault_dr_pair_merkle_corrupted: ['primary', 'secondary'],
  vault_dr_operation_token_expiry_timestamp_seconds: ['primary', 'secondary'],
}
/** Labels Prometheus adds when it scrapes; the exported ones carry the service's own `service` label. */
const SCRAPE_LABELS = new Set(['job', 'instance'])

/** Sample names (histograms' _bucket, _sum, _count included) and the label names seen on each. */
const exported = new Map<string, Set<string>>()
let cluster: ClusterHandle

beforeAll(async () => {
  cluster = await startCluster({ apiAddr: '127.0.0.1:0', clusterAddr: '127.0.0.1:0' })
  for (const service of SCRAPED_SERVICES) {
    for (const line of (await scrape(service, cluster)).split('\n')) {
      const type = /^# TYPE (\w+) (\w+)$/.exec(line)
      if (type !== null) {
        const [, name, kind] = type as unknown as [string, string, string]
        const names = kind === 'histogram' || kind === 'summary' ? ['_bucket', '_sum', '_count', ''] : ['']
        for (const suffix of names) if (!exported.has(name + suffix)) exported.set(name + suffix, new Set())
        continue
      }
      const sample = /^(\w+)\{([^}]*)\}/.exec(line)
      if (sample !== null) {
        const labels = exported.get(sample[1] as string) ?? new Set()
        for (const [, label] of (sample[2] as string).matchAll(/(\w+)="/g)) labels.add(label as string)
        exported.set(sample[1] as string, labels)
      }
    }
  }
})
afterAll(async () => {
  await cluster?.close()
})

const metricNames = (text: string) => new Set(text.match(/\bvault_dr_\w+/g) ?? [])

describe('the metrics the rules and dashboard use', () => {
  it('are each exported by a service today or a declared contract (no misspelt name that would match nothing)', async () => {
    const used = new Set([
      ...metricNames(await readFile(rulesFile, 'utf8')),
      ...metricNames(await readFile(dashboardFile, 'utf8')),
    ])
    expect(used.size).toBeGreaterThan(10)
    const unknown = [...used].filter((name) => !exported.has(name) && !(name in CONTRACTS))
    expect(unknown).toEqual([])
  })

  it("are tested on series with the labels the services really export (plus the scrape's job and instance)", async () => {
    const tests = await readFile(rulesTestFile, 'utf8')
    let checkedAgainstRealOutput = 0
    for (const [, name = '', labelText = ''] of tests.matchAll(/series: '(\w+)\{([^}]*)\}'/g)) {
      const labels = [...labelText.matchAll(/(\w+)="/g)].map((m) => m[1] as string)
      const own = labels.filter((l) => !SCRAPE_LABELS.has(l)).sort()
      const real = exported.get(name)
      const contract = CONTRACTS[name]
      if (real !== undefined && real.size > 0) {
        expect(own, `labels of ${name} in the rules' tests`).toEqual([...real].sort())
        checkedAgainstRealOutput++
      } else if (contract !== undefined) {
        expect(own, `labels of ${name} in the rules' tests`).toEqual([...contract, 'service'].sort())
      } else {
        // Exported, but with no sample in a fresh service (a failure counter): its name at least is right.
        expect(real, `${name} is exported or a contract`).toBeDefined()
      }
    }
    // vault_dr_handshakes (gateway) and vault_dr_replication_mode (agents) have samples in the scrape above.
    expect(checkedAgainstRealOutput).toBeGreaterThan(0)
  })
})
