import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isCodedError } from '../../errors.ts'
import { createEpochStore } from './epoch-store.ts'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'epoch-store-'))
  dirs.push(dir)
  return dir
}

describe('the fencing epoch store', () => {
  it('starts at 0 without a file, writes a higher epoch before admitting it, in a 0700 directory', async () => {
    const dir = join(await tempDir(), 'state')
    const store = createEpochStore(dir)
    expect(store.current()).toBe(0)
    await store.admit(4)
    expect(store.current()).toBe(4)
    expect(await readFile(join(dir, 'epoch'), 'utf8')).toBe('4\n')
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
  })

  it('refuses a lower epoch with AGENT_ERR_STALE_EPOCH and a fix, admits an equal one', async () => {
    const store = createEpochStore(await tempDir())
    await store.admit(7)
    await store.admit(7)
    const refused = await store.admit(6).catch((err: unknown) => err)
    expect(isCodedError(refused, 'AGENT_ERR_STALE_EPOCH')).toBe(true)
    expect((refused as Error).message).toBe('The call carries epoch 6; this agent has seen epoch 7.')
    // The fix names both causes: a stale caller, and a gateway store replaced or restored below the agent's epoch.
    const fix = (refused as { fix?: string }).fix
    expect(fix).toContain('re-read the epoch')
    expect(fix).toContain('replaced or restored from a backup')
    expect(fix).toContain('raises its counter above')
    expect(store.current()).toBe(7)
  })

  it('keeps the highest of concurrent calls with different epochs, on disk too', async () => {
    const dir = await tempDir()
    const store = createEpochStore(dir)
    const epochs = [3, 9, 1, 12, 5, 12, 8, 2, 11, 4]
    const outcomes = await Promise.allSettled(epochs.map((e) => store.admit(e)))
    expect(store.current()).toBe(12)
    expect(await readFile(join(dir, 'epoch'), 'utf8')).toBe('12\n')
    // In call order: each admitted epoch is at least every one admitted before it.
    let seen = 0
    epochs.forEach((e, i) => {
      expect(outcomes[i]?.status, `epoch ${e}`).toBe(e >= seen ? 'fulfilled' : 'rejected')
      seen = Math.max(seen, e)
    })
  })

  it('reads the epoch back after a restart (a new store on the same directory)', async () => {
    const dir = await tempDir()
    await createEpochStore(dir).admit(21)
    const restarted = createEpochStore(dir)
    expect(restarted.current()).toBe(21)
    await expect(restarted.admit(20)).rejects.toMatchObject({ code: 'AGENT_ERR_STALE_EPOCH' })
  })

  it('refuses to start on a file that holds no whole number, naming the file', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'epoch'), 'twelve\n')
    expect(() => createEpochStore(dir)).toThrow(
      `The fencing epoch file ${join(dir, 'epoch')} does not hold a whole number`,
    )
  })

  it('answers AGENT_ERR_EPOCH_UNWRITABLE when the directory cannot be made, and keeps the epoch it had', async () => {
    const dir = join(await tempDir(), 'state')
    const store = createEpochStore(dir)
    await writeFile(dir, 'a file where the directory should be')
    await expect(store.admit(3)).rejects.toMatchObject({ code: 'AGENT_ERR_EPOCH_UNWRITABLE' })
    expect(store.current()).toBe(0)
  })
})
