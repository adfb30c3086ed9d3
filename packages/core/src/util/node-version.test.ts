import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { privateCompileCacheDir, requireNode } from './node-version.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('requireNode', () => {
  it('stops a service on Node 20 with exit 78, naming the Node it needs and where to find it', () => {
    const written: string[] = []
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0)
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    requireNode('vault-dr gateway', 'v20.20.2')
    expect(exit).toHaveBeenCalledWith(78)
    expect(written.join('')).toContain('vault-dr gateway needs Node.js 24 or newer; this is v20.20.2')
    expect(written.join('')).toContain('npm ci')
  })

  it('lets Node 24 and later through', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    requireNode('vault-dr gateway', 'v24.1.0')
    requireNode('vault-dr gateway', 'v26.0.0')
    expect(exit).not.toHaveBeenCalled()
  })
})

describe('privateCompileCacheDir', () => {
  const bases: string[] = []
  afterEach(() => {
    for (const base of bases.splice(0)) rmSync(base, { recursive: true, force: true })
  })
  const scratch = () => {
    const base = mkdtempSync(join(tmpdir(), 'vault-dr-cache-base-'))
    bases.push(base)
    return base
  }
  const name = `vault-dr-compile-cache-${process.getuid?.() ?? 'user'}`

  it('makes an owner-only folder of its own, and uses it again', async () => {
    const base = scratch()
    const dir = await privateCompileCacheDir(base)
    expect(dir).toBe(join(base, name))
    expect(statSync(dir as string).mode & 0o777).toBe(0o700)
    expect(await privateCompileCacheDir(base)).toBe(dir)
  })

  it('uses no folder others may write, another user owns, or a link points to', async () => {
    const open = scratch()
    mkdirSync(join(open, name), { mode: 0o700 })
    chmodSync(join(open, name), 0o777)
    expect(await privateCompileCacheDir(open)).toBeUndefined()

    const linked = scratch()
    mkdirSync(join(linked, 'elsewhere'), { mode: 0o700 })
    symlinkSync(join(linked, 'elsewhere'), join(linked, name))
    expect(await privateCompileCacheDir(linked)).toBeUndefined()

    if (process.getuid?.() === 0) {
      const others = scratch()
      mkdirSync(join(others, name), { mode: 0o700 })
      chownSync(join(others, name), 12345, 12345)
      expect(await privateCompileCacheDir(others)).toBeUndefined()
    }
  })
})
