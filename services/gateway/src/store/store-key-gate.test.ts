import { join } from 'node:path'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/helpers/gateway.ts'
import { secondary } from '../../test/helpers/store-contract.ts'
import { storeUnavailable } from './etcd-errors.ts'
import { SecretBox } from './secret-box.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { Store } from './store.ts'
import { startWhenStoreKeyVerified } from './store-key-gate.ts'
import { storeReadiness } from './store-readiness.ts'

const log = pino({ level: 'silent' })

/** A store that fails every call as etcd without a quorum does while `down` is set. */
function flaky(inner: Store): { store: Store; state: { down: boolean; calls: number } } {
  const state = { down: true, calls: 0 }
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function' || name === 'close') return value
      return (...args: unknown[]) => {
        state.calls += 1
        if (state.down) return Promise.reject(storeUnavailable('etcd did not answer: no quorum'))
        return value.apply(target, args)
      }
    },
  })
  return { store, state }
}

const until = async (what: () => boolean) => {
  const deadline = Date.now() + 5_000
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('starting while the store does not answer', () => {
  let dir: ReturnType<typeof tempDir>
  let inner: SqliteStore
  beforeEach(() => {
    dir = tempDir()
    inner = new SqliteStore(join(dir.dir, 'gateway.sqlite'))
  })
  afterEach(async () => {
    await inner.close()
    dir.cleanup()
  })

  it('starts, is not ready with the store code and fix, and starts its work once the store answers', async () => {
    const { store, state } = flaky(inner)
    const box = new SecretBox('a-store-secret-of-enough-length')
    let started = 0
    let mismatches = 0
    const gate = await startWhenStoreKeyVerified({
      store,
      box,
      log,
      retryMs: 20,
      start: async () => {
        started += 1
      },
      onMismatch: () => {
        mismatches += 1
      },
    })
    try {
      const notReady = await storeReadiness(store, box)()
      expect(notReady.ok).toBe(false)
      expect(notReady.detail).toMatch(/^GATEWAY_ERR_STORE_UNAVAILABLE: .*Start the stopped etcd members/)
      await until(() => state.calls >= 5)
      expect(started).toBe(0)
      state.down = false
      await until(() => started === 1)
      expect(await storeReadiness(store, box)()).toEqual({ ok: true, detail: 'the store answers and its key matches' })
      const calls = state.calls
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(state.calls).toBe(calls)
      expect([started, mismatches]).toEqual([1, 0])
    } finally {
      gate.stop()
    }
  })

  it('starts at once when the store answers, and not at all with another key', async () => {
    let started = 0
    const options = { store: inner, log, retryMs: 20, onMismatch: () => {} }
    const start = async () => {
      started += 1
    }
    const box = new SecretBox('a-store-secret-of-enough-length')
    ;(await startWhenStoreKeyVerified({ ...options, box, start })).stop()
    expect(started).toBe(1)
    // A cluster whose agent token only the first key opens: another key cannot adopt the store.
    await inner.upsertCluster({ ...secondary, agent_token_sealed: box.seal('agent-token', secondary.name) })
    let mismatches = 0
    const other = { ...options, box: new SecretBox('another-secret-of-enough-length'), start }
    ;(await startWhenStoreKeyVerified({ ...other, onMismatch: () => (mismatches += 1) })).stop()
    expect([started, mismatches]).toEqual([1, 1])
  })

  it('stops trying once stopped', async () => {
    const { store, state } = flaky(inner)
    let started = 0
    const gate = await startWhenStoreKeyVerified({
      store,
      box: new SecretBox('a-store-secret-of-enough-length'),
      log,
      retryMs: 20,
      start: async () => {
        started += 1
      },
      onMismatch: () => {},
    })
    gate.stop()
    state.down = false
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(started).toBe(0)
  })
})
