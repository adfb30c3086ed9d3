import { readFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ExposedSample, exposedSamples, type RuleTestSeries, ruleTestGroups } from '../alert-rules-series.ts'
import { rulesFile, rulesTestFile } from '../helpers/deploy-files.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { launchChromium } from '../helpers/headless-chromium.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

/** The DR operation tokens the gateway asks the primary for live this long: the test waits one out. */
const SHORT_TOKEN_TTL_S = 3
/** How the page's pair card says the secondary lost its primary. */
const CONNECTION_REASON = 'Connection to the primary'
/** Labels Prometheus adds when it scrapes: the rule tests carry them, the gateway's own output does not. */
const SCRAPE_LABELS = new Set(['job', 'instance'])

/**
 * Each fault, the alert that must fire on it, and the alert's condition on one sample (t: evaluation time, seconds).
 * `expr` is checked against the rules file, so the condition here cannot drift from the rule's.
 */
const RULES = {
  disconnected: {
    alert: 'VaultDrPairDisconnected',
    metric: 'vault_dr_pair_connected',
    expr: 'max by (primary, secondary) (vault_dr_pair_connected) == 0',
    fires: (v: number) => v === 0,
  },
  tokenExpired: {
    alert: 'VaultDrOperationTokenExpired',
    metric: 'vault_dr_operation_token_expiry_timestamp_seconds',
    expr: 'max by (primary, secondary) (vault_dr_operation_token_expiry_timestamp_seconds) - time() <= 0',
    fires: (v: number, t: number) => v - t <= 0,
  },
  merkle: {
    alert: 'VaultDrPairMerkleCorrupted',
    metric: 'vault_dr_pair_merkle_corrupted',
    expr: 'max by (primary, secondary) (vault_dr_pair_merkle_corrupted) == 1',
    fires: (v: number) => v === 1,
  },
} as const
type Rule = (typeof RULES)[keyof typeof RULES]

let stack: E2EStack
let browser: Browser
let page: Page
let rules: string
let ruleTests: string

beforeAll(async () => {
  browser = await launchChromium()
  rules = await readFile(rulesFile, 'utf8')
  ruleTests = await readFile(rulesTestFile, 'utf8')
  stack = await startE2EStack({
    gatewayEnv: {
      VAULT_DR_OPERATION_TOKEN_TTL: `${SHORT_TOKEN_TTL_S}s`,
      VAULT_DR_OPERATION_TOKEN_MIN_REMAINING: '1s',
      // No upkeep during the test: it would re-issue the token the test lets expire.
      VAULT_DR_PAIRS_UPKEEP_MS: '3600000',
    },
  })
  const { id } = await createHandshake(stack)
  expect((await waitForHandshake(stack, id)).state).toBe('succeeded')
  page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage()
  await page.goto(`${stack.gateway.url}/ui`)
  await page.fill('#token', (await readFile(stack.gatewayTokenFile, 'utf8')).trim())
  await page.click('#login button[type=submit]')
  // The pair's card, its connection fine. (The token its handshake got lasts the expiry test's 3 s: the pair turns red
  // for it soon after, which the tests before that one do not look at.)
  await page.waitForSelector('[data-pair="dc2"]', { timeout: 20_000 })
  expect(await page.textContent('[data-pair="dc2"]')).not.toContain(CONNECTION_REASON)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

/** The gateway's /metrics as Prometheus would scrape it, after a read of the pair (which sets its gauges). */
async function scrape(): Promise<{ text: string; samples: ExposedSample[]; at: number }> {
  await stack.gatewayApi.GET('/v1/pairs/{secondary}', { params: { path: { secondary: 'dc2' } } })
  const res = await fetch(`${stack.gateway.url}/metrics`)
  expect(res.status).toBe(200)
  const text = await res.text()
  return { text, samples: exposedSamples(text), at: Date.now() / 1000 }
}

/** Scrapes until the pair's sample of the metric satisfies the rule's condition; that scrape. */
async function scrapeUntilFiring(rule: Rule) {
  const deadline = Date.now() + 20_000
  for (;;) {
    const scraped = await scrape()
    const sample = scraped.samples.find((s) => s.name === rule.metric && s.labels.secondary === 'dc2')
    if (sample && rule.fires(sample.value, scraped.at)) return scraped
    if (Date.now() > deadline) throw new Error(`${rule.metric} never met ${rule.alert}'s condition:\n${scraped.text}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * The series the rule's unit test fires the alert on (its group's series of the rule's metric, with the labels the
 * expected alert names), each with its value at the time the test expects the alert.
 */
function firingSeriesOfRuleTest(rule: Rule): Array<{ series: RuleTestSeries; value: number; at: number }> {
  const fired = new RegExp(
    ` {6}- eval_time: (\\d+)m\\n {8}alertname: ${rule.alert}\\n {8}exp_alerts:\\n {10}- exp_labels: \\{([^}]*)\\}`,
  )
  const found: Array<{ series: RuleTestSeries; value: number; at: number }> = []
  for (const group of ruleTestGroups(ruleTests)) {
    const m = fired.exec(group.alertTests)
    if (!m) continue
    const minute = Number(m[1])
    const labels = Object.fromEntries(
      (m[2] as string).split(',').map((kv) => kv.split(':').map((x) => x.trim()) as [string, string]),
    )
    for (const series of group.series) {
      if (series.name !== rule.metric) continue
      if (series.labels.primary !== labels.primary || series.labels.secondary !== labels.secondary) continue
      const value = series.values[minute]
      if (value !== null && value !== undefined) found.push({ series, value, at: minute * 60 })
    }
  }
  return found
}

/** What the rule's test data says and what the gateway exported in that state agree: names, labels, firing values. */
function expectRuleTestMatchesExport(rule: Rule, scraped: { samples: ExposedSample[]; at: number; text: string }) {
  expect(rules.replace(/\s+/g, ' '), `${rule.alert}'s expression`).toContain(rule.expr)
  const inTest = firingSeriesOfRuleTest(rule)
  expect(inTest.length, `${rule.alert} fires in a test on ${rule.metric}`).toBeGreaterThan(0)
  for (const { series, value, at } of inTest) {
    // The test's value fires the alert at the time the test expects it to.
    expect(rule.fires(value, at), `${rule.alert}'s test value ${value} at ${at}s`).toBe(true)
    const labels = Object.fromEntries(Object.entries(series.labels).filter(([k]) => !SCRAPE_LABELS.has(k)))
    const exported = scraped.samples.find(
      (s) => s.name === series.name && JSON.stringify(sorted(s.labels)) === JSON.stringify(sorted(labels)),
    )
    expect(
      exported,
      `${series.name}${JSON.stringify(labels)} in the gateway's /metrics:\n${scraped.text}`,
    ).toBeDefined()
    expect(rule.fires(exported?.value ?? Number.NaN, scraped.at), `exported value ${exported?.value}`).toBe(true)
  }
}

const sorted = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).sort())

describe('monitoring on vault-sim: each fault shows in /metrics, on the page, and as its alert rule is tested', () => {
  it("the primary's cluster port cut: vault_dr_pair_connected 0, the pair red, VaultDrPairDisconnected's data", async () => {
    await stack.primary.faults.closeClusterListener()
    const scraped = await scrapeUntilFiring(RULES.disconnected)
    expectRuleTestMatchesExport(RULES.disconnected, scraped)
    await page.waitForSelector('[data-pair="dc2"][data-health="bad"]', { timeout: 20_000 })
    await expect.poll(() => page.textContent('[data-pair="dc2"]'), { timeout: 20_000 }).toContain(CONNECTION_REASON)

    await stack.primary.faults.reopenClusterListener()
    await expect.poll(() => page.textContent('[data-pair="dc2"]'), { timeout: 30_000 }).not.toContain(CONNECTION_REASON)
    // The page may show the connection before the stream resumes (merkle-diff first): the metric needs stream-wals.
    const connected = async () => (await scrape()).samples.find((s) => s.name === RULES.disconnected.metric)?.value
    await expect.poll(connected, { timeout: 10_000 }).toBe(1)
  })

  it('the DR operation token expired: its expiry in the past, the pair red, VaultDrOperationTokenExpired', async () => {
    const rotated = await stack.gatewayApi.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
      params: { path: { secondary: 'dc2' } },
    })
    expect(rotated.response.status, JSON.stringify(rotated.error)).toBe(200)
    const expiresAt = Date.parse(rotated.data?.token.expires_at ?? '')
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(SHORT_TOKEN_TTL_S * 1000)

    const scraped = await scrapeUntilFiring(RULES.tokenExpired)
    expect(scraped.at * 1000).toBeGreaterThanOrEqual(expiresAt)
    expectRuleTestMatchesExport(RULES.tokenExpired, scraped)
    await page.waitForSelector('[data-pair="dc2"][data-health="bad"]', { timeout: 20_000 })
    expect(await page.textContent('[data-pair="dc2"]')).toContain('The DR operation token expired')
  })

  it("the secondary's merkle tree corrupted: vault_dr_pair_merkle_corrupted 1, the pair red, its rule's data", async () => {
    stack.secondary.faults.corruptMerkleTree()
    const scraped = await scrapeUntilFiring(RULES.merkle)
    expectRuleTestMatchesExport(RULES.merkle, scraped)
    // Still red from the expired token: the merkle reason appears with the page's next refresh.
    await expect
      .poll(() => page.textContent('[data-pair="dc2"][data-health="bad"]'), { timeout: 20_000 })
      .toContain("The secondary's merkle tree is corrupted")
  })
})
