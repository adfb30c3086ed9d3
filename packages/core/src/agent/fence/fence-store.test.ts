import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FenceRecord } from './fence.schemas.ts'
import { createFenceStore } from './fence-store.ts'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fence-store-'))
  dirs.push(dir)
  return dir
}

const record: FenceRecord = {
  at: '2026-12-05T02:00:00.000Z',
  reason: 'failover to dc2',
  epoch: 3,
  demoted_at: null,
  by: 'gateway',
  failover_id: 'fo-1',
  last_wal: null,
}

describe('the fence record store', () => {
  it('writes the record 0600 in a 0700 directory, reads it back after a restart, and clears it', async () => {
    const dir = join(await tempDir(), 'state')
    const store = createFenceStore(dir)
    expect(store.current()).toBeUndefined()
    await store.save(record)
    expect(JSON.parse(await readFile(join(dir, 'fence'), 'utf8'))).toEqual(record)
    expect((await stat(join(dir, 'fence'))).mode & 0o777).toBe(0o600)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect(createFenceStore(dir).current()).toEqual(record)
    await store.clear()
    expect(store.current()).toBeUndefined()
    expect(createFenceStore(dir).current()).toBeUndefined()
    await store.clear()
  })

  it('reads a record written before it kept the last WAL (none then)', async () => {
    const dir = await tempDir()
    const { last_wal: _, ...older } = record
    await writeFile(join(dir, 'fence'), JSON.stringify(older))
    expect(createFenceStore(dir).current()).toEqual({ ...older, last_wal: null })
  })

  it('refuses to start on a file that holds no fence record, naming the file', async () => {
    const dir = await tempDir()
    for (const text of ['not json', '{"at":"yesterday"}']) {
      await writeFile(join(dir, 'fence'), text)
      expect(() => createFenceStore(dir)).toThrow(`The fence file ${join(dir, 'fence')} does not hold a fence record`)
    }
  })

  it('answers AGENT_ERR_FENCE_UNWRITABLE when the directory cannot be made, and stays unfenced', async () => {
    const dir = join(await tempDir(), 'state')
    const store = createFenceStore(dir)
    await writeFile(dir, 'a file where the directory should be')
    await expect(store.save(record)).rejects.toMatchObject({ code: 'AGENT_ERR_FENCE_UNWRITABLE' })
    expect(store.current()).toBeUndefined()
  })
})
