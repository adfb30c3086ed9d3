import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import { enablePrimary, errorsOf, replicate, secondaryToken, useClusters } from './helpers/clusters.ts'
import { mintServiceToken } from './helpers/dr-tokens.ts'
import { type CallOptions, vault } from './helpers/vault-http.ts'

const NOT_EMULATED = [501, ['not emulated by vault-sim']]
const PATH_DISABLED = [400, ['path disabled in replication DR secondary mode']]
const DENIED = [403, ['permission denied']]

async function call(cluster: ClusterHandle, method: string, path: string, options: CallOptions = {}) {
  const body = method === 'GET' ? undefined : (options.body ?? {})
  const r = await vault(method, `${cluster.apiUrl}/v1/${path}`, { ...options, body })
  return [r.status, errorsOf(r.body)]
}

async function tokenWithPolicy(cluster: ClusterHandle, name: string, rules: string) {
  const put = await vault('PUT', `${cluster.apiUrl}/v1/sys/policies/acl/${name}`, {
    token: cluster.rootToken,
    body: { policy: rules },
  })
  expect(put.status).toBeLessThan(300)
  return mintServiceToken(cluster, [name])
}

describe('paths Vault serves that vault-sim does not emulate: routed with Vault access rules, then 501', () => {
  const start = useClusters()

  it('answers the replication maintenance paths 501 after the token and sudo checks', async () => {
    const cluster = await start({ name: 'dc1' })
    await enablePrimary(cluster)
    const root = { token: cluster.rootToken }
    for (const path of ['reindex', 'recover', 'merkle-check', 'dr/reindex']) {
      expect(await call(cluster, 'POST', `sys/replication/${path}`, root), path).toEqual(NOT_EMULATED)
      expect(await call(cluster, 'POST', `sys/replication/${path}`), path).toEqual(DENIED)
    }
    const paths = ['reindex', 'recover', 'merkle-check', 'dr/reindex'].map((p) => `sys/replication/${p}`)
    const withoutSudo = await tokenWithPolicy(
      cluster,
      'maintenance',
      paths.map((p) => `path "${p}" { capabilities = ["update"] }`).join('\n'),
    )
    // reindex and dr/reindex are sudo paths (fact sheet 2.2); recover and merkle-check are not.
    expect(await call(cluster, 'POST', 'sys/replication/reindex', { token: withoutSudo })).toEqual(DENIED)
    expect(await call(cluster, 'POST', 'sys/replication/dr/reindex', { token: withoutSudo })).toEqual(DENIED)
    expect(await call(cluster, 'POST', 'sys/replication/recover', { token: withoutSudo })).toEqual(NOT_EMULATED)
    expect(await call(cluster, 'POST', 'sys/replication/merkle-check', { token: withoutSudo })).toEqual(NOT_EMULATED)
    const withSudo = await tokenWithPolicy(
      cluster,
      'maintenance-sudo',
      paths.map((p) => `path "${p}" { capabilities = ["update", "sudo"] }`).join('\n'),
    )
    expect(await call(cluster, 'POST', 'sys/replication/reindex', { token: withSudo })).toEqual(NOT_EMULATED)
  })

  it('answers sys/wrapping/wrap and rewrap (token) and pubkey (unauthenticated) 501', async () => {
    const cluster = await start({ name: 'dc1' })
    const ordinary = await mintServiceToken(cluster, ['default'])
    expect(await call(cluster, 'POST', 'sys/wrapping/wrap', { token: ordinary, body: { a: 1 } })).toEqual(NOT_EMULATED)
    expect(await call(cluster, 'POST', 'sys/wrapping/wrap')).toEqual(DENIED)
    // Vault's default policy does not grant rewrap.
    expect(await call(cluster, 'POST', 'sys/wrapping/rewrap', { token: ordinary })).toEqual(DENIED)
    expect(await call(cluster, 'POST', 'sys/wrapping/rewrap', { token: cluster.rootToken })).toEqual(NOT_EMULATED)
    expect(await call(cluster, 'GET', 'sys/wrapping/pubkey')).toEqual(NOT_EMULATED)
  })

  it('on a DR secondary: the unauthenticated license reload answers 501, the rest stays locked down', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const reload = 'sys/replication/dr/secondary/sys/config/reload/license'
    expect(await call(secondary, 'POST', reload)).toEqual(NOT_EMULATED)
    expect(await call(primary, 'POST', reload)).toEqual(NOT_EMULATED)
    const token = { token: primary.rootToken }
    for (const path of ['sys/replication/reindex', 'sys/replication/merkle-check', 'sys/wrapping/wrap']) {
      expect(await call(secondary, 'POST', path, token), path).toEqual(PATH_DISABLED)
    }
    expect(await call(secondary, 'GET', 'sys/wrapping/pubkey')).toEqual(PATH_DISABLED)
  })

  it('in Community Edition: the stubbed paths answer enterprise-only, the Enterprise-only ones unsupported path', async () => {
    const cluster = await start({ name: 'ce', enterprise: false })
    const token = { token: cluster.rootToken }
    for (const path of ['sys/replication/reindex', 'sys/replication/recover']) {
      expect(await call(cluster, 'POST', path, token), path).toEqual([404, ['enterprise-only feature']])
    }
    for (const [method, path] of [
      ['POST', 'sys/replication/merkle-check'],
      ['POST', 'sys/replication/dr/reindex'],
      ['POST', 'sys/replication/dr/secondary/sys/config/reload/license'],
      ['GET', 'sys/wrapping/pubkey'],
      ['GET', 'sys/replication/merkle-check'],
    ] as const) {
      expect(await call(cluster, method, path, token), path).toEqual([404, ['unsupported path']])
    }
    expect(await call(cluster, 'POST', 'sys/wrapping/wrap', token)).toEqual(NOT_EMULATED)
  })
})

describe('X-Vault-Wrap-TTL: response wrapping on request is not emulated', () => {
  const start = useClusters()
  const wrapTtl = { 'X-Vault-Wrap-TTL': '5m' }

  it('answers 501 instead of the data in clear, after the access checks', async () => {
    const cluster = await start({ name: 'dc1' })
    await enablePrimary(cluster)
    const root = { token: cluster.rootToken, headers: wrapTtl }
    for (const [method, path] of [
      ['GET', 'auth/token/lookup-self'],
      ['GET', 'sys/replication/dr/status'],
      ['GET', 'sys/replication/status'],
      ['POST', 'secret/data/app'],
      ['POST', 'auth/token/create'],
      ['POST', 'sys/wrapping/lookup'],
    ] as const) {
      expect(await call(cluster, method, path, { ...root, body: { data: { a: 1 } } }), path).toEqual(NOT_EMULATED)
    }
    expect(await call(cluster, 'GET', 'auth/token/lookup-self', { headers: wrapTtl })).toEqual(DENIED)
    // Vault ignores an empty header.
    expect(
      (await call(cluster, 'GET', 'auth/token/lookup-self', { ...root, headers: { 'X-Vault-Wrap-TTL': '' } }))[0],
    ).toBe(200)
    cluster.faults.seal()
    expect(await call(cluster, 'GET', 'auth/token/lookup-self', root)).toEqual([503, ['Vault is sealed']])
  })

  it('does not spend a wrapping token on an unwrap it will not answer', async () => {
    const cluster = await start({ name: 'dc1' })
    await enablePrimary(cluster)
    const token = await secondaryToken(cluster, 'dc2')
    expect(await call(cluster, 'POST', 'sys/wrapping/unwrap', { token, headers: wrapTtl })).toEqual(NOT_EMULATED)
    expect((await call(cluster, 'POST', 'sys/wrapping/lookup', { body: { token } }))[0]).toBe(200)
  })

  it('leaves secondary-token wrapped by design, but refuses a wrap of its public-key answer', async () => {
    const cluster = await start({ name: 'dc1' })
    const future = await start({ name: 'dc2' })
    await enablePrimary(cluster)
    const url = `${cluster.apiUrl}/v1/sys/replication/dr/primary/secondary-token`
    const wrapped = await vault('POST', url, { token: cluster.rootToken, headers: wrapTtl, body: { id: 'dc2' } })
    expect(wrapped.status).toBe(200)
    expect(wrapped.body.wrap_info?.creation_path).toBe('sys/replication/dr/primary/secondary-token')
    const key = await vault('POST', `${future.apiUrl}/v1/sys/replication/dr/secondary/generate-public-key`, {
      token: future.rootToken,
      body: {},
    })
    const publicKey = key.body.data?.secondary_public_key
    expect(typeof publicKey).toBe('string')
    const sealedTo = { id: 'dc3', secondary_public_key: publicKey }
    expect(
      await call(cluster, 'POST', 'sys/replication/dr/primary/secondary-token', {
        token: cluster.rootToken,
        headers: wrapTtl,
        body: sealedTo,
      }),
    ).toEqual(NOT_EMULATED)
    const clear = await vault('POST', url, { token: cluster.rootToken, body: sealedTo })
    expect(clear.status).toBe(200)
    expect(typeof clear.body.data?.token).toBe('string')
  })

  it('is ignored, as Vault ignores it, by the raw handlers: health, seal-status, leader, the DR ceremony', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    for (const path of ['sys/health', 'sys/seal-status', 'sys/leader']) {
      const r = await vault('GET', `${primary.apiUrl}/v1/${path}`, { headers: wrapTtl })
      expect(r.status, path).toBe(200)
      expect(r.body.wrap_info, path).toBeUndefined()
    }
    const attempt = await vault(
      'GET',
      `${secondary.apiUrl}/v1/sys/replication/dr/secondary/generate-operation-token/attempt`,
      {
        headers: wrapTtl,
      },
    )
    expect(attempt.status).toBe(200)
    expect(attempt.body).toMatchObject({ started: false })
  })
})
