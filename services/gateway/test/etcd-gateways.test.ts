import { Etcd3 } from 'etcd3'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { STEP_NAMES, type StepName } from '../src/handshakes/handshakes.schemas.ts'
import { EtcdStore } from '../src/store/etcd-store.ts'
import type { Store } from '../src/store/store.ts'
import { useEtcdCluster } from './helpers/etcd-cluster.ts'
import { FakeWorld } from './helpers/fake-agents.ts'
import { AUTH, createHandshake, gatewayConfig, registerPair, startGateway, until, waitFor } from './helpers/gateway.ts'
import { mortalStore } from './helpers/mortal-store.ts'
import { storeWith } from './helpers/store-with.ts'

const LEASE_MS = 1_000
const etcd = useEtcdCluster()

type Gateway = Awaited<ReturnType<typeof startGateway>>

/**
 * A store that freezes on demand, as a gateway process stopped (SIGSTOP, a long pause) mid-handshake: from `freeze()`
 * on, calls wait; `thaw()` lets them through, late, as the process carries on where it stopped.
 */
function freezable(inner: Store): { store: Store; freeze: () => Promise<void>; thaw: () => void } {
  let frozen: Promise<void> | undefined
  let thaw = () => {}
  const store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function' || prop === 'close') return value?.bind?.(target) ?? value
      return async (...args: unknown[]) => {
        if (frozen !== undefined) await frozen
        return value.apply(target, args)
      }
    },
  })
  return {
    store,
    freeze: () => {
      frozen = new Promise<void>((resolve) => {
        thaw = () => {
          frozen = undefined
          resolve()
        }
      })
      return frozen
    },
    thaw: () => thaw(),
  }
}

describe('two gateways on one etcd cluster (fake agents)', () => {
  let prefix = ''
  let world = new FakeWorld()
  const gateways: Gateway[] = []
  const cleanups: Array<() => Promise<void> | void> = []
  const takeovers: number[] = []
  beforeEach(() => {
    prefix = etcd.cluster.freshPrefix()
    world = new FakeWorld()
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
    for (const gw of gateways.splice(0)) await gw.app.close()
  })
  afterAll(() => {
    if (takeovers.length > 0) {
      const sorted = [...takeovers].sort((a, b) => a - b)
      console.info(
        `takeover after the running gateway died (lease ${LEASE_MS} ms): ${sorted.length} runs, min ${sorted[0]} ms, max ${sorted.at(-1)} ms`,
      )
    }
  })

  const env = (id: string) => ({
    VAULT_DR_ETCD_PREFIX: prefix,
    VAULT_DR_LEASE_MS: String(LEASE_MS),
    VAULT_DR_GATEWAY_ID: id,
  })

  async function gateway(id: string, deps: Parameters<typeof startGateway>[1] = {}) {
    const gw = await startGateway(etcd.cluster.storeUrl, { agents: world.clients(), ...deps }, env(id))
    gateways.push(gw)
    return gw
  }

  /** Gateway A on its own etcd client, which dies before `beforeStep` or right after `during` reached the agent. */
  async function dyingGateway(crash: { beforeStep?: StepName; during?: string }) {
    const settings = gatewayConfig(etcd.cluster.storeUrl, env('gw-a')).etcd
    if (settings === undefined) throw new Error('the test gateway should be on etcd')
    const inner = new EtcdStore(settings)
    const { store, die, bury } = mortalStore(inner)
    const death = { at: 0 }
    // A holds the lease at its first step; it waits there until B runs too, so B's scans are under way when A dies.
    const started = { done: false, reached: () => {}, go: Promise.resolve(), proceed: () => {} }
    const reached = new Promise<void>((resolve) => {
      started.reached = resolve
    })
    started.go = new Promise<void>((resolve) => {
      started.proceed = resolve
    })
    const dying = () => {
      death.at = Date.now()
      return die()
    }
    if (crash.during !== undefined) {
      const call = crash.during
      world.intercept[call] = async (next) => {
        delete world.intercept[call]
        await next()
        return dying()
      }
    }
    const gw = await startGateway(
      etcd.cluster.storeUrl,
      {
        agents: world.clients(),
        store,
        stopGraceMs: 0,
        hooks: {
          beforeStep: async (_id, step) => {
            if (!started.done) {
              started.done = true
              started.reached()
              await started.go
            }
            if (step === crash.beforeStep) await dying()
          },
        },
      },
      env('gw-a'),
    )
    cleanups.push(async () => {
      bury()
      await gw.app.close()
      await inner.close()
    })
    return { gw, death, reached, proceed: () => started.proceed() }
  }

  /** The raw lease of a handshake, as etcd holds it. */
  async function leaseOf(id: string): Promise<{ lease_owner: string | null; lease_until: number | null }> {
    const client = new Etcd3({ hosts: etcd.cluster.endpoints.map((e) => `http://${e}`) })
    try {
      return JSON.parse((await client.get(`${prefix}handshakes/${id}`).string()) ?? '{}')
    } finally {
      client.close()
    }
  }

  /**
   * Gateway B; notes when and at which step it first runs the handshake. It scans from its start but finds nothing to
   * take over until A died: a renewal of A slowed past A's lease by a loaded machine would otherwise hand B the
   * handshake at A's first step, which is not what these tests are about.
   */
  async function survivor(death: { at: number }) {
    const first: { step?: StepName; at?: number } = {}
    const settings = gatewayConfig(etcd.cluster.storeUrl, env('gw-b')).etcd
    if (settings === undefined) throw new Error('the test gateway should be on etcd')
    const inner = new EtcdStore(settings)
    const store = storeWith(inner, {
      resumable: async (resumable, ...args) => (death.at === 0 ? [] : resumable(...args)),
    })
    const gw = await startGateway(
      etcd.cluster.storeUrl,
      {
        agents: world.clients(),
        store,
        hooks: {
          beforeStep: (_id, step) => {
            if (first.step === undefined) Object.assign(first, { step, at: Date.now() })
          },
        },
      },
      env('gw-b'),
    )
    cleanups.push(async () => {
      await gw.app.close()
      await inner.close()
    })
    return { gw, first }
  }

  /** Each step succeeded exactly once in the handshake's events, whoever ran it. */
  async function succeededSteps(id: string): Promise<string[]> {
    const settings = gatewayConfig(etcd.cluster.storeUrl, env('reader')).etcd
    if (settings === undefined) throw new Error('the test gateway should be on etcd')
    const reader = new EtcdStore(settings)
    try {
      return (await reader.events(id, 0))
        .map((e) => e.data.step as { name: string; status: string } | undefined)
        .filter((s) => s?.status === 'succeeded')
        .map((s) => s?.name ?? '')
    } finally {
      await reader.close()
    }
  }

  it.each(STEP_NAMES)(
    'B resumes at %s once the lease of A (dead before it) ran out, and completes the handshake exactly once',
    async (step) => {
      const { gw: a, death, reached, proceed } = await dyingGateway({ beforeStep: step })
      await registerPair(a.app)
      const id = (await createHandshake(a.app)).json().id as string
      await reached
      const { gw: b, first } = await survivor(death)
      proceed()
      await until(() => death.at > 0, `gateway A to reach ${step}`)
      const lease = await leaseOf(id)
      expect(lease.lease_owner).toMatch(/^gw-a\//)
      const hs = await waitFor(b.app, id)
      expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
      expect(first.step).toBe(step)
      // Never before A's lease ran out; measured from A's death.
      expect(first.at).toBeGreaterThan(lease.lease_until ?? Number.POSITIVE_INFINITY)
      const takeover = (first.at ?? 0) - death.at
      takeovers.push(takeover)
      expect(takeover).toBeLessThan(2 * LEASE_MS + 5_000)
      expect(world.activations).toBe(1)
      expect([...world.knownSecondaries]).toEqual(['dc2'])
      // A token minted by A was only in A's memory: B revokes its id and mints anew.
      expect(world.minted).toHaveLength(['inspect_token', 'activate_secondary'].includes(step) ? 2 : 1)
      expect((await succeededSteps(id)).sort()).toEqual([...STEP_NAMES].sort())
      expect((await leaseOf(id)).lease_owner).toBeNull()
    },
  )

  it('B finds the activation A sent before it died, and does not activate again', async () => {
    const { gw: a, death, reached, proceed } = await dyingGateway({ during: 'secondary.activate' })
    await registerPair(a.app)
    const id = (await createHandshake(a.app)).json().id as string
    await reached
    const { gw: b, first } = await survivor(death)
    proceed()
    await until(() => death.at > 0, 'gateway A to send the activation')
    const hs = await waitFor(b.app, id)
    expect(hs.state).toBe('succeeded')
    expect(first.step).toBe('activate_secondary')
    expect(hs.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('not activated again')
    expect(world.calls.filter((c) => c === 'secondary.activate')).toHaveLength(1)
    expect(world.activations).toBe(1)
    expect((await succeededSteps(id)).sort()).toEqual([...STEP_NAMES].sort())
  })

  it('A frozen before activate_secondary wakes after B took over and finished: its late writes are refused, nothing is done twice', async () => {
    const settings = gatewayConfig(etcd.cluster.storeUrl, env('gw-a')).etcd
    if (settings === undefined) throw new Error('the test gateway should be on etcd')
    const inner = new EtcdStore(settings)
    const { store, freeze, thaw } = freezable(inner)
    let frozenAt = 0
    const a = await startGateway(
      etcd.cluster.storeUrl,
      {
        agents: world.clients(),
        store,
        hooks: {
          beforeStep: async (_id, step) => {
            if (step !== 'activate_secondary' || frozenAt > 0) return
            frozenAt = Date.now()
            await freeze()
          },
        },
      },
      env('gw-a'),
    )
    cleanups.push(async () => {
      thaw()
      await a.app.close()
      await inner.close()
    })
    await registerPair(a.app)
    const id = (await createHandshake(a.app)).json().id as string
    await until(() => frozenAt > 0, 'gateway A to stop before activate_secondary')
    // Frozen: B may take over as soon as A's lease runs out.
    const { gw: b, first } = await survivor({ at: frozenAt })
    const byB = await waitFor(b.app, id)
    expect(byB.state).toBe('succeeded')
    expect(first.step).toBe('activate_secondary')

    thaw()
    await until(
      () => a.logs.text.includes('no longer held by this gateway process') || a.logs.text.includes('lease lost'),
      'gateway A to find it lost the handshake',
    )
    const final = await waitFor(b.app, id)
    expect(final.finished_at).toBe(byB.finished_at)
    expect(world.activations).toBe(1)
    expect(world.calls.filter((c) => c === 'secondary.activate')).toHaveLength(1)
    expect((await succeededSteps(id)).sort()).toEqual([...STEP_NAMES].sort())
  })

  it('without a quorum: writes fail with a code, /readyz and new handshakes answer 503, nothing advances; then it resumes', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let held = false
    const gw = await gateway('gw-a', {
      hooks: {
        beforeStep: (_id, step) => {
          if (step !== 'mint_token' || held) return undefined
          held = true
          return gate
        },
      },
    })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await until(() => held, 'the handshake to reach mint_token')
    expect((await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)

    await etcd.cluster.stop(1)
    await etcd.cluster.stop(2)
    try {
      const ready = await gw.app.inject({ method: 'GET', url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      const check = ready.json().checks.find((c: { name: string }) => c.name === 'store')
      expect(check).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/^GATEWAY_ERR_STORE_UNAVAILABLE: .*Start the stopped etcd members/),
      })
      // What the VaultDrGatewayWithoutQuorum alert fires on.
      const metrics = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body
      expect(metrics).toContain('vault_dr_readiness_check{check="store",service="vault-dr-gateway"} 0\n')
      const refused = await gw.app.inject({
        method: 'POST',
        url: '/v1/handshakes',
        headers: AUTH,
        payload: { primary: 'dc1', secondary: 'dc2' },
      })
      expect(refused.statusCode).toBe(503)
      expect(refused.json()).toMatchObject({ code: 'GATEWAY_ERR_STORE_UNAVAILABLE' })
      expect(refused.headers['content-type']).toContain('application/problem+json')
      // The step may not start: writing it as running fails, so the run ends before the mint.
      release()
      await until(
        () => gw.logs.text.includes('GATEWAY_ERR_STORE_UNAVAILABLE') || gw.logs.text.includes('lease lost'),
        'the run to stop on the failed write',
      )
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS))
      expect(world.calls).not.toContain('primary.mintToken')
    } finally {
      etcd.cluster.start(1)
      etcd.cluster.start(2)
      await etcd.cluster.waitHealthy()
    }
    // The client leaves a member that failed three calls in a row alone for five seconds: ready again after that.
    const readyz = async () => (await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode
    await until(async () => (await readyz()) === 200, 'the gateway to reach a quorum again', 20_000)
    const hs = await waitFor(gw.app, id, ['succeeded', 'failed', 'cancelled'], 30_000)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(world.minted).toHaveLength(1)
    expect(world.activations).toBe(1)
  }, 60_000)
})
