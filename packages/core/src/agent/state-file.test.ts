import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { removeStateFile, writeStateFile } from './state-file.ts'

const roots: string[] = []
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true })
})

describe('agent state files', () => {
  it('creates the missing directories (0700), writes the file (0600) and replaces it whole', async () => {
    const root = await mkdtemp(join(tmpdir(), 'state-file-'))
    roots.push(root)
    const dir = join(root, 'a', 'b', 'primary-agent')
    await writeStateFile(dir, 'epoch', '{"epoch":1}')
    await writeStateFile(dir, 'epoch', '{"epoch":2}')
    expect(await readFile(join(dir, 'epoch'), 'utf8')).toBe('{"epoch":2}')
    for (const d of [join(root, 'a'), join(root, 'a', 'b'), dir]) expect((await stat(d)).mode & 0o777).toBe(0o700)
    expect((await stat(join(dir, 'epoch'))).mode & 0o777).toBe(0o600)
    await removeStateFile(dir, 'epoch')
    await removeStateFile(dir, 'epoch')
    await expect(stat(join(dir, 'epoch'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('takes a folder named with `..` that climbs past the ones it creates', async () => {
    const root = await mkdtemp(join(tmpdir(), 'state-file-'))
    roots.push(root)
    const dir = `${root}/x/../../${root.split('/').pop()}/q/r`
    await writeStateFile(dir, 'fence', '{}')
    expect(await readFile(join(root, 'q', 'r', 'fence'), 'utf8')).toBe('{}')
  })
})
