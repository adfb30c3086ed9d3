import { describe, expect, it } from 'vitest'
import { GatewayErrors } from '../src/gateway-errors.ts'
import { createHandshake, registerPair, until, waitFor } from './helpers/gateway.ts'
import { STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'

/**
 * Scans (resume, pending revocations) run every lease period: short, but long enough that a busy machine still renews
 * the lease in time (at 300 ms a slow store lost it, and the step it resumed ran its intercept twice).
 */
const LEASE_MS = 1_000

const SUITE =
  'an unused token left valid because the primary agent was down when its handshake failed (fake agents, %s store)'

describe.each(STORE_KINDS)(SUITE, (kind) => {
  const fx = useGatewayFixture(kind)

  it('is revoked once the agent answers again, and the handshake says so; the fix says it will be', async () => {
    fx.world.intercept['secondary.activate'] = async () => {
      throw GatewayErrors.agentRejected('secondary-agent: SECONDARY_ERR_CA_FILE: ca_file is not readable', {
        upstream: { service: 'secondary-agent', status: 400, code: 'SECONDARY_ERR_CA_FILE' },
      })
    }
    let primaryDown = true
    fx.world.intercept['primary.revoke'] = async (next) => {
      if (primaryDown) throw GatewayErrors.agentUnreachable('primary-agent: connection refused')
      return next()
    }
    const gw = await fx.gateway({}, { VAULT_DR_LEASE_MS: String(LEASE_MS) })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    const failed = await waitFor(gw.app, id)
    expect(failed.state).toBe('failed')
    expect(failed.error?.code).toBe('SECONDARY_ERR_CA_FILE')
    expect(failed.error?.fix).toContain('the gateway revokes the unused id as soon as both agents answer again')
    expect(failed.error?.fix).toContain('vault write sys/replication/dr/primary/revoke-secondary id=dc2')
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])

    primaryDown = false
    await until(() => fx.world.knownSecondaries.size === 0, 'the pending revocation')
    // The handshake records what was done right after the revocation.
    await until(
      async () => (await waitFor(gw.app, id)).error?.detail.includes('revoked the unused secondary id dc2') === true,
      'the handshake to say the id was revoked',
    )
    const later = await waitFor(gw.app, id)
    expect(later.error?.fix).not.toContain('may still be valid')
    // Once done, never again.
    const revokes = fx.world.calls.filter((c) => c === 'primary.revoke').length
    await new Promise((resolve) => setTimeout(resolve, 2.2 * LEASE_MS))
    expect(fx.world.calls.filter((c) => c === 'primary.revoke').length).toBe(revokes)
  })

  it('leaves the id alone when a secondary uses it by the time the agent is back', async () => {
    fx.world.intercept['secondary.activate'] = async () => {
      throw GatewayErrors.agentRejected('refused', {
        upstream: { service: 'secondary-agent', status: 400, code: 'SECONDARY_ERR_CA_FILE' },
      })
    }
    fx.world.intercept['primary.revoke'] = async () => {
      throw GatewayErrors.agentUnreachable('primary-agent: connection refused')
    }
    const gw = await fx.gateway({}, { VAULT_DR_LEASE_MS: String(LEASE_MS) })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    expect((await waitFor(gw.app, id)).state).toBe('failed')
    // Meanwhile someone activated a secondary with the id: it is in use, not to be revoked.
    fx.world.connected.add('dc2')
    fx.world.peers.add('dc2')
    await until(async () => {
      const hs = await waitFor(gw.app, id)
      return hs.error?.detail.includes('nothing to revoke') === true
    }, 'the pending revocation to be settled')
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
  })

  it('is not carried out while another handshake of the pair holds the id (it may be minting or activating with it)', async () => {
    let secondStarted = false
    let secondActivating = false
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    fx.world.intercept['secondary.activate'] = async (next) => {
      if (!secondStarted) {
        throw GatewayErrors.agentRejected('refused', {
          upstream: { service: 'secondary-agent', status: 400, code: 'SECONDARY_ERR_CA_FILE' },
        })
      }
      secondActivating = true
      await released
      return next()
    }
    let primaryDown = true
    fx.world.intercept['primary.revoke'] = async (next) => {
      if (primaryDown) throw GatewayErrors.agentUnreachable('primary-agent: connection refused')
      return next()
    }
    const gw = await fx.gateway({}, { VAULT_DR_LEASE_MS: String(LEASE_MS) })
    await registerPair(gw.app)
    const first = (await createHandshake(gw.app)).json().id as string
    expect((await waitFor(gw.app, first)).state).toBe('failed')
    // The next handshake of the pair revokes the old id itself and mints it anew; its activation then waits.
    primaryDown = false
    secondStarted = true
    const second = (await createHandshake(gw.app)).json().id as string
    await until(() => secondActivating, 'the second handshake to activate')
    const revokes = fx.world.calls.filter((c) => c === 'primary.revoke').length
    // Several scans of pending revocations pass meanwhile: none revokes the id the second handshake minted.
    await new Promise((resolve) => setTimeout(resolve, 2.5 * LEASE_MS))
    expect(fx.world.calls.filter((c) => c === 'primary.revoke').length).toBe(revokes)
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
    release()
    expect((await waitFor(gw.app, second)).state).toBe('succeeded')
  })
})
