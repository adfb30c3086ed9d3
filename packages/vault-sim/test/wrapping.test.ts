import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import { postUnwrap } from '../src/replication/unwrap-client.ts'
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

describe('sys/wrapping/unwrap without a client token (not an unauthenticated path, §2.13)', () => {
  const start = useClusters()

  it('refuses a valid body token with 403 permission denied and does not spend it', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    const refused = await wrapping(primary, 'unwrap', { token })
    expect(refused.status).toBe(403)
    expect(errorsOf(refused.body)).toEqual(['permission denied'])
    expect((await wrapping(primary, 'lookup', { token })).status).toBe(200)
    const unwrapped = await wrapping(primary, 'unwrap', {}, token)
    expect(unwrapped.status).toBe(200)
    expect(unwrapped.body.data).toMatchObject({ secondary_id: 'dc2' })
  })

  it('validates the wrapping token first: a bad one is a 400, not a 403', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    expect((await wrapping(primary, 'unwrap', {}, token)).status).toBe(200)
    for (const [body, error] of [
      [{ token }, INVALID],
      [{ token: 'hvs.not-a-token' }, INVALID],
      [{}, 'error validating wrapping token: empty token in request body'],
    ] as const) {
      const r = await wrapping(primary, 'unwrap', body)
      expect([r.status, errorsOf(r.body)], JSON.stringify(body)).toEqual([400, [error]])
    }
    const ordinary = await mintServiceToken(primary, ['default'])
    expect(errorsOf((await wrapping(primary, 'unwrap', { token: 'hvs.gone' }, ordinary)).body)).toEqual([INVALID])
  })
})

describe("the secondary's unwrap call to the primary", () => {
  it('sends the activation token as X-Vault-Token and no token in the body, as the Go client does', async () => {
    const seen: { headers: http.IncomingHttpHeaders; body: string; method: string | undefined }[] = []
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        seen.push({ headers: request.headers, body: Buffer.concat(chunks).toString(), method: request.method })
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const result = await postUnwrap(`http://127.0.0.1:${port}/v1/sys/wrapping/unwrap`, 'a.jwt.token', {
        timeoutMs: 5_000,
      })
      expect(result.status).toBe(200)
      expect(seen).toHaveLength(1)
      expect(seen[0]?.method).toBe('POST')
      expect(seen[0]?.headers['x-vault-token']).toBe('a.jwt.token')
      expect(seen[0]?.body).not.toContain('a.jwt.token')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
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
