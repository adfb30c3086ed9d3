import { repoRoot } from './repo-paths.ts'

export const rulesFile = `${repoRoot}deploy/prometheus/vault-dr-rules.yml`
export const rulesTestFile = `${repoRoot}deploy/prometheus/vault-dr-rules.test.yml`
export const dashboardFile = `${repoRoot}deploy/grafana/vault-dr.json`

/** Each alert rule's text, from its `- alert:` line to the next rule or group, by alert name. */
export function alertBlocks(rules: string): Map<string, string> {
  const blocks = new Map<string, string>()
  for (const block of rules.split(/\n(?= {6}- (?:alert|record):| {2}- name:)/)) {
    const name = /^ {6}- alert: (\S+)/.exec(block)?.[1]
    if (name !== undefined) blocks.set(name, block)
  }
  return blocks
}
