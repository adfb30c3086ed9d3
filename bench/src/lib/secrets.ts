import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A random bearer token (base64url, 32 characters). */
export function randomToken(): string {
  return randomBytes(24).toString('base64url')
}

/** Writes a secret to a 0600 file for a service's `<VAR>_FILE` variable, so it is never on a command line. */
export function secretFile(dir: string, name: string, value: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, name)
  writeFileSync(path, `${value}\n`, { mode: 0o600 })
  return path
}
