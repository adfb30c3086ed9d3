import { describe, expect, it, onTestFinished } from 'vitest'
import { GatewayErrors } from '../src/gateway-errors.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import type { Store } from '../src/store/store.ts'
import { createHandshake, registerPair, waitFor } from './helpers/gateway.ts'
import { STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'

/** The store, with the write that records `step` as succeeded failing once (SQLITE_BUSY past busy_timeout, EIO). */
function failingOnce(inner: Store, step: string): Store & { failed: boolean } {
  const state = { failed: false }
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'failed') return state.failed
      if (prop === 'updateHandshake') {
        return (...args: Parameters<Store['updateHandshake']>) => {
          const done = args[1].steps?.find((s) => s.name === step)?.status === 'succeeded'
          if (!state.failed && done) {
            state.failed = true
            return Promise.reject(Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR' }))
          }
          return target.updateHandshake(...args)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as unknown as Store & { failed: boolean }
}

describe.each(STORE_KINDS)('a store write that fails after a step did its work (fake agents, %s store)', (kind) => {
  const fx = useGatewayFixture(kind)

  it('is not the step failing: the run stops, resumes, and finds the activation instead of repeating it', async () => {
    const inner = fx.openStore()
    onTestFinished(() => inner.close())
    const store = failingOnce(inner, 'activate_secondary')
    const gw = await fx.gateway({ store }, { VAULT_DR_LEASE_MS: '300' })
    await registerPair(gw.app)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(store.failed).toBe(true)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(hs.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('not activated again')
    expect(fx.world.activations).toBe(1)
  })
})

describe('a run that stops between recording a failed step and ending the handshake (fake agents)', () => {
  const fx = useGatewayFixture()

  it('ends the handshake failed on resume, without running the failed step again', async () => {
    const inner = new SqliteStore(fx.path)
    onTestFinished(() => inner.close())
    let failedOnce = false
    // The write that ends the handshake fails once (SQLITE_BUSY, EIO): the failed step is stored, the end is not.
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'updateHandshake') {
          return (...args: Parameters<Store['updateHandshake']>) => {
            if (!failedOnce && args[1].state === 'failed') {
              failedOnce = true
              return Promise.reject(Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR' }))
            }
            return target.updateHandshake(...args)
          }
        }
        const value = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as Store
    fx.world.intercept['secondary.activate'] = async () => {
      throw GatewayErrors.agentRejected('secondary-agent: SECONDARY_ERR_CA_FILE: ca_file is not readable', {
        upstream: { service: 'secondary-agent', status: 400, code: 'SECONDARY_ERR_CA_FILE' },
      })
    }
    const gw = await fx.gateway({ store }, { VAULT_DR_LEASE_MS: '300' })
    await registerPair(gw.app)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(failedOnce).toBe(true)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('SECONDARY_ERR_CA_FILE')
    expect(fx.world.knownSecondaries.has('dc2')).toBe(false)
    expect(fx.world.calls.filter((c) => c === 'secondary.activate')).toHaveLength(1)
  })
})
