import { describe, expect, it } from 'vitest'
import { capabilitiesOn, matchRule, parsePolicy } from './acl.ts'

const rules = parsePolicy(`
# the DR tutorial's promotion policy, plus globs
path "sys/replication/dr/secondary/promote" { capabilities = ["update"] }
path "sys/replication/dr/primary/*" {
  capabilities = ["create", "update", "sudo"]
}
path "secret/+/config" { capabilities = ["read"] }
path "secret/private*" { capabilities = ["deny"] }
`)

describe('parsePolicy / capabilitiesOn', () => {
  it('reads path blocks and their capabilities', () => {
    expect(rules.map((r) => r.path)).toEqual([
      'sys/replication/dr/secondary/promote',
      'sys/replication/dr/primary/*',
      'secret/+/config',
      'secret/private*',
    ])
    expect(rules[1]?.capabilities).toEqual(['create', 'update', 'sudo'])
  })

  it('matches exact paths, trailing globs and + segments', () => {
    expect([...capabilitiesOn([rules], 'sys/replication/dr/secondary/promote')]).toEqual(['update'])
    expect([...capabilitiesOn([rules], 'sys/replication/dr/primary/secondary-token')]).toContain('sudo')
    expect([...capabilitiesOn([rules], 'secret/app/config')]).toEqual(['read'])
    expect(capabilitiesOn([rules], 'secret/app/other').size).toBe(0)
    expect(capabilitiesOn([rules], 'sys/replication/dr/secondary/disable').size).toBe(0)
  })

  it('lets deny win and prefers the longest pattern', () => {
    expect([
      ...capabilitiesOn([rules, parsePolicy('path "secret/*" { capabilities = ["read"] }')], 'secret/private/x'),
    ]).toEqual(['deny'])
    const nested = parsePolicy('path "a/*" { capabilities = ["read"] }\npath "a/b/*" { capabilities = ["update"] }')
    expect(matchRule(nested, 'a/b/c')?.capabilities).toEqual(['update'])
  })
})
