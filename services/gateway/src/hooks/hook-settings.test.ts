import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadHookSettings } from './hook-settings.ts'
import { HookUrl } from './hook-url.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-dr-hooks-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('hook settings and URLs', () => {
  it('refuse a CA file that is not PEM, and a timeout out of bounds, naming the variable', async () => {
    const notPem = join(dir, 'not.pem')
    await writeFile(notPem, 'hello')
    expect(() => loadHookSettings({ VAULT_DR_HOOK_CACERT: notPem })).toThrow(/VAULT_DR_HOOK_CACERT: .* no PEM/)
    expect(() => loadHookSettings({ VAULT_DR_HOOK_TIMEOUT_MS: '5' })).toThrow(/VAULT_DR_HOOK_TIMEOUT_MS/)
    expect(loadHookSettings({}).timeoutMs).toBe(10_000)
  })

  it('take https URLs only, without credentials', () => {
    expect(HookUrl.safeParse('https://hooks.example/pre').success).toBe(true)
    expect(HookUrl.safeParse('http://hooks.example/pre').success).toBe(false)
    expect(HookUrl.safeParse('https://user:pw@hooks.example/pre').error?.issues[0]?.message).toContain('credentials')
  })
})
