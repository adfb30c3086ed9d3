import { closeSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { spawnNode } from '../src/demo/child-processes.ts'
import { openPrivateAppend, privateDir } from '../src/demo/private-files.ts'
import { writeSecretFile } from '../src/demo/secrets.ts'

const mode = (path: string) => statSync(path).mode & 0o777
let dir = ''
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe("the demo's data folder and logs", () => {
  it('creates directories 0700 and narrows ones an earlier run left 0755', () => {
    dir = mkdtempSync(join(tmpdir(), 'vault-dr-demo-'))
    const old = join(dir, 'old')
    mkdirSync(old, { mode: 0o755 })
    privateDir(old)
    privateDir(join(dir, 'new', 'logs'))
    expect([mode(old), mode(join(dir, 'new')), mode(join(dir, 'new', 'logs'))]).toEqual([0o700, 0o700, 0o700])
  })

  it('appends to logs only the owner can read, narrowing a 0644 log of an earlier run', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vault-dr-demo-'))
    const oldLog = join(dir, 'old.log')
    writeFileSync(oldLog, 'earlier run\n', { mode: 0o644 })
    const child = spawnNode('echo', ['-e', 'console.log("hello")'], {}, oldLog)
    await new Promise((resolve) => child.process.once('close', resolve))
    expect(mode(oldLog)).toBe(0o600)
    expect(readFileSync(oldLog, 'utf8')).toBe('earlier run\nhello\n')
    const newLog = join(dir, 'new.log')
    closeSync(openPrivateAppend(newLog))
    expect(mode(newLog)).toBe(0o600)
  })

  it('writes secrets 0600 in a 0700 directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'vault-dr-demo-'))
    const secret = writeSecretFile(join(dir, 'secrets'), 'api-token')
    expect([mode(join(dir, 'secrets')), mode(secret.path)]).toEqual([0o700, 0o600])
  })
})
