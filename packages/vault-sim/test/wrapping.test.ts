import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import { enablePrimary, errorsOf, secondaryToken, useClusters } from './helpers/clusters.ts'
import { mintServiceToken } from './helpers/dr-tokens.ts'
import { vault } from './helpers/vault-http.ts'

const INVALID = 'wrapping token is not valid or does not exist'

const wrapping = (cluster: ClusterHandle, op: 'lookup' | 'unwrap', body: unknown, headerToken?: string) =>
  vault('POST', `${cluster.apiUrl}/v1/sys/wrapping/${op}`, { body, ...(headerToken && { token: headerToken }) })

describe('sys/wrapping/unwrap and X-Vault-Token', () => {
  const start = useClusters()

  async function primaryWithTokens(count: number) {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const tokens: string[] = []
    for (let i = 0; i < count; i++) tokens.push(await secondaryToken(primary, `dc${i + 2}`))
    return { primary, tokens }
  }

  it('refuses an invalid client token with 403 and leaves the body token unused', async () => {
    const { primary, tokens } = await primaryWithTokens(1)
    const [token] = tokens
    const refused = await wrapping(primary, 'unwrap', { token }, 'hvs.not-a-token')
    expect(refused.status).toBe(403)
    expect(errorsOf(refused.body)).toEqual(['permission denied'])
    expect((await wrapping(primary, 'lookup', { token })).status).toBe(200)
  })

  it('unwraps the client token itself when it is the wrapping token', async () => {
    const { primary, tokens } = await primaryWithTokens(1)
    const [token] = tokens
    const unwrapped = await wrapping(primary, 'unwrap', {}, token)
    expect(unwrapped.status).toBe(200)
    expect(unwrapped.body.data).toMatchObject({ secondary_id: 'dc2' })
    expect(errorsOf((await wrapping(primary, 'lookup', { token })).body)).toEqual([INVALID])
  })

  it('unwraps the body token for a client token allowed on the path', async () => {
    const { primary, tokens } = await primaryWithTokens(1)
    const [token] = tokens
    const ordinary = await mintServiceToken(primary, ['default'])
    const unwrapped = await wrapping(primary, 'unwrap', { token }, ordinary)
    expect(unwrapped.status).toBe(200)
    expect(unwrapped.body.data).toMatchObject({ secondary_id: 'dc2' })
  })

  it('burns a wrapping token sent both as client token and in the body', async () => {
    const { primary, tokens } = await primaryWithTokens(1)
    const [token] = tokens
    const twice = await wrapping(primary, 'unwrap', { token }, token)
    expect(twice.status).toBe(400)
    expect(errorsOf(twice.body)).toEqual([INVALID])
    expect(errorsOf((await wrapping(primary, 'unwrap', { token })).body)).toEqual([INVALID])
  })
})

describe('sys/wrapping/lookup of a token that is not a wrapping token', () => {
  const start = useClusters()

  it('answers 400 token is not a valid unwrap token for a live ordinary token', async () => {
    const cluster = await start({ name: 'dc1' })
    const service = await mintServiceToken(cluster, ['default'])
    for (const token of [cluster.rootToken, service]) {
      const r = await wrapping(cluster, 'lookup', { token })
      expect(r.status).toBe(400)
      expect(errorsOf(r.body)).toEqual(['token is not a valid unwrap token'])
    }
    expect(errorsOf((await wrapping(cluster, 'lookup', { token: 'hvs.gone' })).body)).toEqual([INVALID])
  })
})
