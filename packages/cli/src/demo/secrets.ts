import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { privateDir } from './private-files.ts'

/** A fresh random token written to a 0600 file; services read it through their `_FILE` variables. */
export function writeSecretFile(dir: string, name: string): { path: string; value: string } {
  privateDir(dir)
  const value = randomBytes(24).toString('base64url')
  const path = join(dir, name)
  writeFileSync(path, `${value}\n`, { mode: 0o600 })
  return { path, value }
}
