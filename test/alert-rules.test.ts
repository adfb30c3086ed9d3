import { readFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { alertBlocks, rulesFile, rulesTestFile } from './helpers/deploy-files.ts'
import { promtool, requirePromtool } from './helpers/promtool.ts'

/** Alerts on an event that has already happened (a failure): they fire at once, with no pending time. */
const EVENT_ALERTS = new Set(['VaultDrOperationFailed', 'VaultDrRoleChangeFailed'])

let rules: string
let tests: string

beforeAll(async () => {
  await requirePromtool()
  rules = await readFile(rulesFile, 'utf8')
  tests = await readFile(rulesTestFile, 'utf8')
})

describe('deploy/prometheus/vault-dr-rules.yml', () => {
  it('passes promtool check rules', async () => {
    const check = await promtool(['check', 'rules', rulesFile])
    expect(check.output).toContain('SUCCESS')
    expect(check.code, check.output).toBe(0)
  })

  it('passes its unit tests (promtool test rules): each alert fires on its fault and stays silent when healthy', async () => {
    const result = await promtool(['test', 'rules', rulesTestFile])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
  })

  it('gives every alert a severity, a runbook naming the command to run, and a pending time unless it is an event', () => {
    const blocks = alertBlocks(rules)
    expect(blocks.size).toBeGreaterThanOrEqual(12)
    for (const [name, block] of blocks) {
      expect(block, name).toMatch(/\n {10}severity: (critical|warning)\n/)
      expect(block, name).toMatch(/\n {10}runbook: "(vault-dr|curl) [^"]+"\n/)
      if (EVENT_ALERTS.has(name)) expect(block, name).not.toMatch(/\n {8}for: /)
      else expect(block, name).toMatch(/\n {8}for: \d+m\n/)
    }
  })

  it('has, for every alert, a test where it fires and a check that it stays silent on the healthy fleet', () => {
    const healthy = tests.split(/\n {2}- name: /)[1] ?? ''
    expect(healthy.startsWith('healthy\n')).toBe(true)
    for (const name of alertBlocks(rules).keys()) {
      expect(healthy, `${name} checked silent when healthy`).toContain(`alertname: ${name}, exp_alerts: [] }`)
      expect(tests, `${name} fires in a test`).toMatch(
        new RegExp(`alertname: ${name}\\n {8}exp_alerts:\\n {10}- exp_labels`),
      )
    }
  })
})
