import { describe, expect, it, onTestFinished } from 'vitest'
import type { Store } from '../src/store/store.ts'
import { createHandshake, getHandshake, registerPair, until, waitFor } from './helpers/gateway.ts'
import { STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'
import { storeWith } from './helpers/store-with.ts'

const SUITE = 'one handshake is driven by one gateway process at a time (fake agents, shared %s store)'

describe.each(STORE_KINDS)(SUITE, (kind) => {
  const fx = useGatewayFixture(kind)

  /** Holds the first activation call until released; `sent` turns true once it is in flight. */
  function holdFirstActivation() {
    const held = { sent: false, release: () => {} }
    const gate = new Promise<void>((resolve) => {
      held.release = resolve
    })
    fx.world.intercept['secondary.activate'] = async (next) => {
      delete fx.world.intercept['secondary.activate']
      held.sent = true
      await gate
      return next()
    }
    return held
  }

  /**
   * B finds A's activation in flight and waits for it instead of sending another; once A's held call returns, B
   * finishes the handshake, A's late writes are refused, and one activation was ever sent.
   */
  async function expectFinishedByB(
    app: Parameters<typeof getHandshake>[0],
    id: string,
    held: ReturnType<typeof holdFirstActivation>,
  ) {
    await until(() => fx.world.calls.includes('secondary.activation'), 'the second gateway to ask how it went')
    held.release()
    const byB = await waitFor(app, id)
    expect(byB.state).toBe('succeeded')
    expect(byB.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('not activated again')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const final = await getHandshake(app, id)
    expect(final.finished_at).toBe(byB.finished_at)
    expect(fx.world.calls.filter((c) => c === 'secondary.activate')).toHaveLength(1)
    expect(fx.world.activations).toBe(1)
  }

  it('a second live process with the same VAULT_DR_GATEWAY_ID takes over; the first can no longer write', async () => {
    const held = holdFirstActivation()
    const a = await fx.gateway()
    await registerPair(a.app)
    const id = (await createHandshake(a.app)).json().id as string
    await until(() => held.sent, 'the first gateway to send the activation')

    const b = await fx.gateway()
    await expectFinishedByB(b.app, id, held)
    expect(a.logs.text).toContain('no longer held by this gateway process')
  })

  it('a process whose lease renewals keep failing stops writing once another took the handshake over', async () => {
    const held = holdFirstActivation()
    const inner = fx.openStore()
    onTestFinished(() => inner.close())
    // Once the activation is sent, every renewal fails (SQLITE_BUSY past busy_timeout, no etcd quorum, a transient
    // I/O error). Before, they work: A reaches the activation however slow the machine is.
    const storeA: Store = storeWith(inner, {
      renew: (renew, ...args) => (held.sent ? Promise.reject(new Error('database is locked')) : renew(...args)),
    })
    // A stops itself two thirds into its lease once its renewals fail.
    const env = { VAULT_DR_LEASE_MS: kind === 'etcd' ? '2000' : '300' }
    const a = await fx.gateway({ store: storeA }, { ...env, VAULT_DR_GATEWAY_ID: 'gw-a' })
    await registerPair(a.app)
    const id = (await createHandshake(a.app)).json().id as string
    await until(() => held.sent, 'the first gateway to send the activation')

    const b = await fx.gateway({}, { ...env, VAULT_DR_GATEWAY_ID: 'gw-b' })
    await expectFinishedByB(b.app, id, held)
  })

  it('a process whose lease renewals hang (a store cut off from its quorum) stops by itself before its lease ends', async () => {
    const held = holdFirstActivation()
    const inner = fx.openStore()
    onTestFinished(() => inner.close())
    // Once the activation is sent, a renewal never answers: neither "held" nor an error reaches the runner.
    const storeA: Store = storeWith(inner, {
      renew: (renew, ...args) => (held.sent ? new Promise<boolean>(() => {}) : renew(...args)),
    })
    const env = { VAULT_DR_LEASE_MS: kind === 'etcd' ? '2000' : '300' }
    const a = await fx.gateway({ store: storeA }, { ...env, VAULT_DR_GATEWAY_ID: 'gw-a' })
    await registerPair(a.app)
    const id = (await createHandshake(a.app)).json().id as string
    await until(() => held.sent, 'the first gateway to send the activation')
    await until(
      () => a.logs.text.includes('no renewal was acknowledged in time'),
      'the first gateway to stop on its own clock',
    )

    const b = await fx.gateway({}, { ...env, VAULT_DR_GATEWAY_ID: 'gw-b' })
    await expectFinishedByB(b.app, id, held)
  })
})
