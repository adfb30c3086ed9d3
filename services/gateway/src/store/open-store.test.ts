import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@vault-dr/core'
import { afterEach, describe, expect, it } from 'vitest'
import { openStore } from './open-store.ts'

const scratches: string[] = []
afterEach(() => {
  for (const dir of scratches.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A new temporary folder, removed after the test. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vault-dr-open-store-'))
  scratches.push(dir)
  return dir
}

async function configErrorOf(path: string): Promise<ConfigError> {
  try {
    await openStore(path)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error(`${path} opened`)
}

describe('openStore', () => {
  it('names VAULT_DR_STORE when the path is a directory', async () => {
    const dir = scratch()
    expect((await configErrorOf(dir)).problems).toEqual([
      expect.stringMatching(/^VAULT_DR_STORE: cannot use .+ unable to open/),
    ])
  })

  it('names VAULT_DR_STORE when the file is not a SQLite database', async () => {
    const file = join(scratch(), 'notes.txt')
    writeFileSync(file, 'not a database, but long enough to have a header SQLite reads and rejects '.repeat(8))
    expect((await configErrorOf(file)).problems[0]).toMatch(/^VAULT_DR_STORE: cannot use .*notes\.txt.*not a database/)
  })

  it('opens a new store, creating its folder', async () => {
    const store = await openStore(join(scratch(), 'nested', 'gateway.sqlite'))
    await expect(store.ping()).resolves.toBeUndefined()
    await store.close()
  })
})

describe('openStore with etcd settings', () => {
  it('opens an etcd store without connecting: an unreachable cluster shows when it is used, as a coded error', async () => {
    const store = await openStore('etcd://127.0.0.1:1', {
      hosts: ['http://127.0.0.1:1'],
      prefix: '/vault-dr/',
      callTimeoutMs: 500,
    })
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'GATEWAY_ERR_STORE_UNAVAILABLE', statusCode: 503 })
    } finally {
      await store.close()
    }
  })
})
