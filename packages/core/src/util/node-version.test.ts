import { afterEach, describe, expect, it, vi } from 'vitest'
import { requireNode } from './node-version.ts'

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
