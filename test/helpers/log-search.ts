import { existsSync, readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { allOutput } from './child-service.ts'

const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{20,}/
const VAULT_TOKEN = /\bhvs\.[A-Za-z0-9]{24}\b/
/** A batch token (the DR operation tokens vault-dr issues are batch tokens). */
const BATCH_TOKEN = /\bhvb\.[\w-]{20,}/

/** No log line of any child process holds a known secret, an activation JWT or a raw Vault token. */
export function expectNoSecretsInLogs(secrets: string[]): void {
  expectNoSecretsIn(allOutput, secrets)
}

/**
 * `lines` (not none: a search of nothing proves nothing) hold no known secret, activation JWT, raw Vault token or batch
 * token.
 */
export function expectNoSecretsIn(lines: string[], secrets: string[]): void {
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) {
    for (const secret of secrets) expect(line.includes(secret), `a secret leaked into: ${line}`).toBe(false)
    expect(JWT.test(line), `an activation token leaked into: ${line}`).toBe(false)
    expect(VAULT_TOKEN.test(line), `a Vault token leaked into: ${line}`).toBe(false)
    expect(BATCH_TOKEN.test(line), `a batch (DR operation) token leaked into: ${line}`).toBe(false)
  }
}

/** The bytes of a SQLite store (its file and its write-ahead log), as text to search for secrets. */
export function readSqliteStore(path: string): string {
  return [path, `${path}-wal`]
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString('latin1'))
    .join('\n')
}
