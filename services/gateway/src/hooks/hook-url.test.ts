import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@vault-dr/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadGatewayConfig } from '../config.ts'
import { HookUrl } from './hook-url.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-dr-hooks-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('hook settings and URLs', () => {
  it('refuse a CA file that is not PEM, and a timeout out of bounds, naming the variable, as a start-up error', async () => {
    const notPem = join(dir, 'not.pem')
    await writeFile(notPem, 'hello')
    const load = (env: Record<string, string>) => () =>
      loadGatewayConfig({ VAULT_DR_API_TOKEN: 'a-gateway-api-token', VAULT_DR_STORE: ':memory:', ...env })
    // A ConfigError: the gateway exits 78 with the variable named, not with a stack.
    expect(load({ VAULT_DR_HOOK_CACERT: notPem })).toThrow(ConfigError)
    expect(load({ VAULT_DR_HOOK_CACERT: notPem })).toThrow(/VAULT_DR_HOOK_CACERT: .* no PEM/)
    expect(load({ VAULT_DR_HOOK_TIMEOUT_MS: '5' })).toThrow(/VAULT_DR_HOOK_TIMEOUT_MS: must be between 100 and 300000/)
    expect(load({})().handshakes.hooks).toEqual({ caPem: undefined, timeoutMs: 10_000 })
    expect(load({ VAULT_DR_HOOK_TIMEOUT_MS: '2500' })().handshakes.hooks?.timeoutMs).toBe(2500)
  })

  it('take https URLs only, without credentials', () => {
    expect(HookUrl.safeParse('https://hooks.example/pre').success).toBe(true)
    expect(HookUrl.safeParse('http://hooks.example/pre').success).toBe(false)
    expect(HookUrl.safeParse('https://user:pw@hooks.example/pre').error?.issues[0]?.message).toContain('credentials')
    for (const keyed of ['https://hooks.example/pre?code=S3cret', 'https://hooks.example/pre#S3cret']) {
      expect(HookUrl.safeParse(keyed).error?.issues[0]?.message).toContain('must not have a query or fragment')
    }
  })
})
