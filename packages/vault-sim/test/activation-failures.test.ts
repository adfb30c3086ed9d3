import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  drStatus,
  enablePrimary,
  enableSecondary,
  errorsOf,
  fastTimings,
  secondaryToken,
  useClusters,
  waitForStreaming,
} from './helpers/clusters.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

const UNWRAP_400 = 'error response unwrapping secondary token; status code is 400, message is "400 Bad Request"'

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('secondary activation failures', () => {
  const start = useClusters()

  it('refuses a used token: unwrap answers 400 and the activation reports it as a 500', async () => {
    const primary = await start({ name: 'dc1' })
    const first = await start({ name: 'dc2' })
    const second = await start({ name: 'dc3' })
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    expect((await enableSecondary(first, { token })).status).toBe(200)
    await waitForStreaming(first)

    const reused = await enableSecondary(second, { token })
    expect(reused.status).toBe(500)
    expect(errorsOf(reused.body)).toEqual([UNWRAP_400])
    const lookup = await vault('POST', `${primary.apiUrl}/v1/sys/wrapping/lookup`, { body: { token } })
    expect(lookup.status).toBe(400)
    expect(errorsOf(lookup.body)).toEqual(['wrapping token is not valid or does not exist'])
    expect((await drStatus(second)).mode).toBe('disabled')
  })

  it('refuses a token past its TTL (ttl 1s)', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await enablePrimary(primary)
    const minted = await vault('POST', `${primary.apiUrl}/v1/sys/replication/dr/primary/secondary-token`, {
      token: primary.rootToken,
      body: { id: 'dc2', ttl: '1s' },
    })
    expect(minted.body.wrap_info?.ttl).toBe(1)
    const token = minted.body.wrap_info?.token ?? ''
    const expired = await waitFor(
      () => vault('POST', `${primary.apiUrl}/v1/sys/wrapping/lookup`, { body: { token } }),
      (r) => r.status === 400,
      { what: 'the token to expire', intervalMs: 50 },
    )
    expect(errorsOf(expired.body)).toEqual(['wrapping token is not valid or does not exist'])
    const activation = await enableSecondary(secondary, { token })
    expect(activation.status).toBe(500)
    expect(errorsOf(activation.body)).toEqual([UNWRAP_400])
  })

  it("rejects another cluster's token: only the issuer can verify the JWT", async () => {
    const issuer = await start({ name: 'dc1' })
    const other = await start({ name: 'dc9' })
    const secondary = await start({ name: 'dc2' })
    await enablePrimary(issuer)
    await enablePrimary(other)
    const token = await secondaryToken(issuer, 'dc2')

    for (const path of ['lookup', 'unwrap']) {
      const r = await vault('POST', `${other.apiUrl}/v1/sys/wrapping/${path}`, { body: { token } })
      expect(r.status).toBe(400)
      expect(errorsOf(r.body)[0]).toMatch(
        /^error validating wrapping token: wrapping token signature could not be validated: .+/,
      )
    }
    // Pointing the secondary at the wrong primary: that primary's unwrap answers 400.
    const activation = await enableSecondary(secondary, { token, primary_api_addr: other.apiUrl })
    expect(activation.status).toBe(500)
    expect(errorsOf(activation.body)).toEqual([UNWRAP_400])
    // The token was not consumed by the failed attempts.
    expect((await vault('POST', `${issuer.apiUrl}/v1/sys/wrapping/lookup`, { body: { token } })).status).toBe(200)
  })

  it('reports an unreachable primary API in Go wording', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    const port = await closedPort()
    const activation = await enableSecondary(secondary, { token, primary_api_addr: `http://127.0.0.1:${port}` })
    expect(activation.status).toBe(500)
    expect(errorsOf(activation.body)).toEqual([
      `error unwrapping secondary token: Post "http://127.0.0.1:${port}/v1/sys/wrapping/unwrap": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    ])
  })

  it('gives up on a primary API slower than unwrapTimeoutMs', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: { ...fastTimings, unwrapTimeoutMs: 100 } })
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    primary.faults.setLatency(1_000)
    const activation = await enableSecondary(secondary, { token })
    expect(activation.status).toBe(500)
    const { host } = new URL(primary.apiUrl)
    expect(errorsOf(activation.body)).toEqual([
      `error unwrapping secondary token: Post "${primary.apiUrl}/v1/sys/wrapping/unwrap": dial tcp ${host}: i/o timeout`,
    ])
  })

  it('fails on a closed cluster port and leaves the secondary untouched', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', rootToken: 'dc2-root' })
    const policy = await vault('PUT', `${secondary.apiUrl}/v1/sys/policies/acl/local-only`, {
      token: 'dc2-root',
      body: { policy: 'path "secret/*" { capabilities = ["read"] }' },
    })
    expect(policy.status).toBe(204)
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    await primary.faults.closeClusterListener()

    const activation = await enableSecondary(secondary, { token })
    expect(activation.status).toBe(500)
    const [message] = errorsOf(activation.body)
    expect(message).toMatch(
      /^error fetching secondary bootstrap package: error authing for bootstrap: rpc error: code = Unavailable desc = /,
    )
    expect(message).toContain(`dial tcp ${new URL(primary.clusterUrl).host}: connect: connection refused`)

    expect((await drStatus(secondary)).mode).toBe('disabled')
    const self = await vault('GET', `${secondary.apiUrl}/v1/auth/token/lookup-self`, { token: 'dc2-root' })
    expect(self.status).toBe(200)
    expect(self.body.data?.policies).toEqual(['root'])
    const kept = await vault('GET', `${secondary.apiUrl}/v1/sys/policies/acl/local-only`, { token: 'dc2-root' })
    expect(kept.status).toBe(200)
    expect(kept.body.data?.name).toBe('local-only')
  })

  it('reports a sealed primary as the 503 of its unwrap', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    primary.faults.seal()
    const activation = await enableSecondary(secondary, { token })
    expect(activation.status).toBe(500)
    expect(errorsOf(activation.body)).toEqual([
      'error response unwrapping secondary token; status code is 503, message is "503 Service Unavailable"',
    ])
    expect((await vault('GET', `${primary.apiUrl}/v1/sys/health`)).status).toBe(503)

    primary.faults.unseal()
    expect((await enableSecondary(secondary, { token })).status).toBe(200)
    await waitForStreaming(secondary)
  })

  it('needs primary_api_addr when the primary advertises no api_addr', async () => {
    const primary = await start({ name: 'dc1', apiAdvertiseAddr: '' })
    const secondary = await start({ name: 'dc2' })
    await enablePrimary(primary)
    const minted = await vault('POST', `${primary.apiUrl}/v1/sys/replication/dr/primary/secondary-token`, {
      token: primary.rootToken,
      body: { id: 'dc2' },
    })
    expect(minted.body.warnings).toEqual([
      "No redirect address set in Vault so none could be encoded in the token. You may need to supply Vault's API address when unwrapping the token.",
    ])
    const token = minted.body.wrap_info?.token ?? ''
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { addr: string }
    expect(claims.addr).toBe('')

    const withoutAddr = await enableSecondary(secondary, { token })
    expect(withoutAddr.status).toBe(400)
    expect(errorsOf(withoutAddr.body)).toHaveLength(1)
    const withAddr = await enableSecondary(secondary, { token, primary_api_addr: primary.apiUrl })
    expect(withAddr.status).toBe(200)
    await waitForStreaming(secondary)
  })
})
