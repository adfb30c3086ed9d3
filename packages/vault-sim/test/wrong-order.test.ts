import { describe, expect, it } from 'vitest'
import {
  drStatus,
  enablePrimary,
  enableSecondary,
  errorsOf,
  replicate,
  secondaryToken,
  useClusters,
} from './helpers/clusters.ts'
import { vault } from './helpers/vault-http.ts'

const dr = (cluster: { apiUrl: string }, path: string) => `${cluster.apiUrl}/v1/sys/replication/dr/${path}`

describe('calls in the wrong order', () => {
  const start = useClusters()

  it('answers 400 with an errors array', async () => {
    const cluster = await start({ name: 'dc1' })
    const other = await start({ name: 'dc2' })
    const token = cluster.rootToken
    const expect400 = async (path: string, body: Record<string, unknown> = {}, target = cluster) => {
      const r = await vault('POST', dr(target, path), { token: target.rootToken, body })
      expect(r.status, path).toBe(400)
      expect(errorsOf(r.body), path).toHaveLength(1)
      return errorsOf(r.body)[0]
    }

    // DR disabled: nothing primary- or secondary-specific works yet.
    expect(await expect400('primary/secondary-token', { id: 'dc2' })).toBe(
      'this cluster is not a DR replication primary',
    )
    await expect400('primary/revoke-secondary', { id: 'dc2' })
    await expect400('primary/demote')
    await expect400('primary/disable')
    await expect400('secondary/promote', { dr_operation_token: token })

    await enablePrimary(cluster)
    expect(await expect400('primary/enable')).toBe('this cluster is already a DR replication primary')
    await expect400('secondary/promote', { dr_operation_token: token })
    const activationToken = await secondaryToken(cluster, 'dc2')
    await expect400('secondary/enable', { token: activationToken })
    await expect400('primary/secondary-token', {})
    expect((await drStatus(cluster)).mode).toBe('primary')

    // Re-using the id of a live secondary (unverified in Vault; our default refuses).
    expect(await expect400('primary/secondary-token', { id: 'dc2' })).toBe('secondary with id dc2 already exists')
    // The first token is still good.
    expect((await enableSecondary(other, { token: activationToken })).status).toBe(200)
  })

  it('keeps a DR secondary locked: primary/enable and secondary/enable answer "path disabled"', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    for (const path of ['primary/enable', 'secondary/enable', 'primary/secondary-token']) {
      const r = await vault('POST', dr(secondary, path), { token: primary.rootToken, body: { id: 'x', token: 'y' } })
      expect(r.status, path).toBe(400)
      expect(errorsOf(r.body)).toEqual(['path disabled in replication DR secondary mode'])
    }
  })

  it('lets the unverified behaviours and texts be configured', async () => {
    const primary = await start({
      name: 'dc1',
      compat: {
        duplicateSecondaryId: 'replace',
        revokeSecondaryStatus: 200,
        messages: { notPrimary: 'custom: not a primary' },
      },
    })
    const notYet = await vault('POST', dr(primary, 'primary/secondary-token'), {
      token: primary.rootToken,
      body: { id: 'dc2' },
    })
    expect(errorsOf(notYet.body)).toEqual(['custom: not a primary'])
    await enablePrimary(primary)
    const first = await secondaryToken(primary, 'dc2')
    const second = await secondaryToken(primary, 'dc2')
    expect(second).not.toBe(first)
    expect((await vault('POST', `${primary.apiUrl}/v1/sys/wrapping/lookup`, { body: { token: first } })).status).toBe(
      400,
    )
    expect((await vault('POST', `${primary.apiUrl}/v1/sys/wrapping/lookup`, { body: { token: second } })).status).toBe(
      200,
    )
    const revoke = await vault('POST', dr(primary, 'primary/revoke-secondary'), {
      token: primary.rootToken,
      body: { id: 'dc2' },
    })
    expect(revoke.status).toBe(200)
    expect((await drStatus(primary)).known_secondaries).toEqual([])
  })

  it('requires sudo on secondary-token', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const policy = (name: string, caps: string) =>
      vault('PUT', `${primary.apiUrl}/v1/sys/policies/acl/${name}`, {
        token: primary.rootToken,
        body: { policy: `path "sys/replication/dr/primary/*" { capabilities = [${caps}] }` },
      })
    await policy('dr-admin', '"create", "update"')
    await policy('dr-admin-sudo', '"create", "update", "sudo"')
    const mint = async (policyName: string) => {
      const created = await vault('POST', `${primary.apiUrl}/v1/auth/token/create`, {
        token: primary.rootToken,
        body: { policies: [policyName] },
      })
      return created.body.auth?.client_token ?? ''
    }
    const withoutSudo = await mint('dr-admin')
    const withSudo = await mint('dr-admin-sudo')
    const denied = await vault('POST', dr(primary, 'primary/secondary-token'), {
      token: withoutSudo,
      body: { id: 'a' },
    })
    expect(denied.status).toBe(403)
    expect(errorsOf(denied.body)).toEqual(['permission denied'])
    const allowed = await vault('POST', dr(primary, 'primary/secondary-token'), { token: withSudo, body: { id: 'a' } })
    expect(allowed.status).toBe(200)
    const anonymous = await vault('POST', dr(primary, 'primary/secondary-token'), { body: { id: 'b' } })
    expect(anonymous.status).toBe(403)
  })
})
