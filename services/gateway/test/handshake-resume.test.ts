import { describe, expect, it } from 'vitest'
import { STEP_NAMES, type StepName } from '../src/handshakes/handshakes.schemas.ts'
import type { Store } from '../src/store/store.ts'
import {
  AUTH,
  createHandshake,
  getHandshake,
  registerPair,
  startGateway,
  stepStatuses,
  waitFor,
} from './helpers/gateway.ts'
import { type Gateway, STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'

const never = () => new Promise<never>(() => {})

describe.each(STORE_KINDS)('durability: crashes, restarts and cancellation (fake agents, %s store)', (kind) => {
  const fx = useGatewayFixture(kind)

  /** A gateway that "crashes" (stops, abandoning its step at once) when `crash` says so. */
  async function crashingGateway(crash: { beforeStep?: StepName; during?: string }) {
    const holder: { gw?: Gateway } = {}
    let closed!: () => void
    const crashed = new Promise<void>((resolve) => {
      closed = resolve
    })
    const die = () => {
      void holder.gw?.app.close().then(closed)
      return never()
    }
    if (crash.during !== undefined) {
      fx.world.intercept[crash.during] = async (next) => {
        delete fx.world.intercept[crash.during as string]
        await next()
        return die()
      }
    }
    holder.gw = await startGateway(
      fx.path,
      {
        agents: fx.world.clients(),
        stopGraceMs: 0,
        hooks: { beforeStep: (_id, step) => (step === crash.beforeStep ? die() : undefined) },
      },
      fx.storeEnv,
    )
    return { gw: holder.gw, crashed }
  }

  async function restartAndFinish(id: string) {
    return waitFor((await fx.gateway()).app, id)
  }

  it.each(STEP_NAMES.slice(1))('completes exactly once after a crash before %s', async (step) => {
    const { gw, crashed } = await crashingGateway({ beforeStep: step })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await crashed
    const before = await readOnly(fx.openStore(), id)
    expect(before.state).toBe('running')
    expect(before.steps.find((s) => s.name === step)?.status).toBe('pending')
    const hs = await restartAndFinish(id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(fx.world.activations).toBe(1)
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
    // Between mint and activation the token was only in the crashed process's memory: revoked and minted anew.
    const expectedMints = ['inspect_token', 'activate_secondary'].includes(step) ? 2 : 1
    expect(hs.token?.mints).toBe(expectedMints)
    expect(fx.world.minted).toHaveLength(expectedMints)
  })

  it.each([
    ['primary.mintToken', 2],
    ['secondary.activate', 1],
    ['primary.enable', 1],
  ])('completes exactly once after a crash in the middle of %s', async (call, mints) => {
    const { gw, crashed } = await crashingGateway({ during: call })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await crashed
    const before = await readOnly(fx.openStore(), id)
    expect(before.steps.filter((s) => s.status === 'running')).toHaveLength(1)
    const hs = await restartAndFinish(id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(fx.world.activations).toBe(1)
    expect(fx.world.minted).toHaveLength(mints)
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
    if (call === 'secondary.activate') {
      expect(hs.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('not activated again')
    }
  })

  it('runs on when cancelled inside a resumed activate_secondary before the token is sent, as the answer says', async () => {
    const { gw, crashed } = await crashingGateway({ beforeStep: 'activate_secondary' })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await crashed
    // The resumed step mints anew (the token was only in the crashed process's memory): cancelled meanwhile.
    const next = await fx.gateway()
    let answered: boolean | undefined
    fx.world.intercept['primary.mintToken'] = async (mint) => {
      const res = await next.app.inject({ method: 'POST', url: `/v1/operations/${id}/cancel`, headers: AUTH })
      answered = res.json().past_point_of_no_return
      return mint()
    }
    const hs = await waitFor(next.app, id)
    expect(answered).toBe(true)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(hs.cancel_requested).toBe(true)
    expect(fx.world.activations).toBe(1)
    expect(hs.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('cancel requested')
  })

  it('stops cleanly while verify waits, and the next gateway finishes the wait', async () => {
    fx.world.streams = false
    const gw = await fx.gateway()
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await waitForStep(gw, id, 'verify', 'running')
    await fx.close(gw)
    fx.world.streams = true
    fx.world.secondary.state = 'stream-wals'
    fx.world.connected.add('dc2')
    const hs = await restartAndFinish(id)
    expect(hs.state).toBe('succeeded')
    expect(fx.world.activations).toBe(1)
  })

  it('cancels between mint and activation, revoking the unused id', async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const gw = await fx.gateway({
      hooks: { beforeStep: (_id, step) => (step === 'inspect_token' ? held : undefined) },
    })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await waitForStep(gw, id, 'mint_token', 'succeeded')
    const res = await gw.app.inject({ method: 'POST', url: `/v1/handshakes/${id}/cancel`, headers: AUTH })
    expect(res.statusCode, res.body).toBe(202)
    expect(res.json().cancel_requested).toBe(true)
    release()
    const hs = await waitFor(gw.app, id)
    expect(hs.state).toBe('cancelled')
    expect(hs.error).toMatchObject({ code: 'GATEWAY_ERR_CANCELLED' })
    expect(hs.error?.detail).toContain('revoked the unused secondary id dc2')
    expect(stepStatuses(hs)).toMatchObject({ activate_secondary: 'skipped', verify: 'skipped' })
    expect(fx.world.activations).toBe(0)
    expect(fx.world.knownSecondaries.size).toBe(0)
    const again = await gw.app.inject({ method: 'POST', url: `/v1/handshakes/${id}/cancel`, headers: AUTH })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('GATEWAY_ERR_HANDSHAKE_FINISHED')
  })

  it('gives one handshake to concurrent requests for one secondary, also from two gateways on one store', async () => {
    const hold = { beforeStep: () => never() }
    const a = await fx.gateway({ hooks: hold, stopGraceMs: 0 })
    const b = await fx.gateway({ hooks: hold, stopGraceMs: 0 }, { VAULT_DR_GATEWAY_ID: 'gw-b' })
    await registerPair(a.app)
    const results = await Promise.all([createHandshake(a.app), createHandshake(a.app), createHandshake(b.app)])
    const codes = results.map((r) => r.statusCode).sort()
    expect(codes).toEqual([202, 409, 409])
    for (const r of results.filter((x) => x.statusCode === 409)) {
      expect(r.headers['content-type']).toContain('application/problem+json')
      expect(r.json().code).toBe('GATEWAY_ERR_HANDSHAKE_IN_PROGRESS')
    }
    const list = await a.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH })
    expect(list.json().handshakes).toHaveLength(1)
  })

  it('answers the same handshake for the same Idempotency-Key and body, 422 for another body', async () => {
    const gw = await fx.gateway()
    await registerPair(gw.app)
    const key = { 'idempotency-key': 'req-7f3a' }
    const first = await createHandshake(gw.app, {}, key)
    const second = await createHandshake(gw.app, {}, key)
    expect(first.statusCode).toBe(202)
    expect(second.statusCode).toBe(200)
    expect(second.json().id).toBe(first.json().id)
    const other = await createHandshake(gw.app, { inspect: false }, key)
    expect(other.statusCode).toBe(422)
    expect(other.json().code).toBe('GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED')
    await waitFor(gw.app, first.json().id)
    expect((await createHandshake(gw.app, {}, key)).json().id).toBe(first.json().id)
    expect(fx.world.activations).toBe(1)
  })

  it('replays an Idempotency-Key after its secondary cluster was deleted, and still refuses another body', async () => {
    const gw = await fx.gateway()
    await registerPair(gw.app)
    const key = { 'idempotency-key': 'req-deleted-secondary' }
    const first = await createHandshake(gw.app, {}, key)
    expect(first.statusCode).toBe(202)
    await waitFor(gw.app, first.json().id)
    const deleted = await gw.app.inject({ method: 'DELETE', url: '/v1/clusters/dc2', headers: AUTH })
    expect(deleted.statusCode).toBe(204)

    const replay = await createHandshake(gw.app, {}, key)
    expect(replay.statusCode, replay.body).toBe(200)
    expect(replay.json().id).toBe(first.json().id)
    const other = await createHandshake(gw.app, { inspect: false }, key)
    expect(other.statusCode).toBe(422)
    expect(other.headers['content-type']).toContain('application/problem+json')
    expect(other.json().code).toBe('GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED')
    // A new key is a new request: the missing cluster is said.
    const fresh = await createHandshake(gw.app, {}, { 'idempotency-key': 'req-new' })
    expect(fresh.statusCode).toBe(400)
    expect(fresh.json().code).toBe('GATEWAY_ERR_UNKNOWN_CLUSTER')
    expect(fx.world.activations).toBe(1)
  })

  it('a cancellation carried out after a crash mid-mint revokes the id the crashed run minted; the next handshake uses it', async () => {
    const { gw, crashed } = await crashingGateway({ during: 'primary.mintToken' })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await crashed
    // The operator cancels while the gateway is down (or through another gateway sharing the store).
    const store = fx.openStore()
    await store.requestCancel(id, new Date().toISOString())
    const before = await store.getHandshake(id)
    await store.close()
    expect(before?.steps.find((s) => s.name === 'mint_token')?.status).toBe('running')
    expect(before?.token).toBeNull()

    const gw2 = await fx.gateway()
    const hs = await waitFor(gw2.app, id)
    const live = [...fx.world.tokens.values()].filter((t) => !t.used && !t.revoked && t.exp > Date.now())

    // The next handshake for the same pair mints for the id anew.
    const next = await createHandshake(gw2.app)
    const hs2 = await waitFor(gw2.app, next.json().id as string)

    expect(hs.state).toBe('cancelled')
    expect(live).toHaveLength(0)
    expect(hs.error?.detail).toContain('revoked the unused secondary id dc2')
    expect(hs2.state).toBe('succeeded')
  })
})

/** The handshake as stored, read through a store of its own (closed here). */
async function readOnly(store: Store, id: string) {
  try {
    const hs = await store.getHandshake(id)
    if (hs === undefined) throw new Error(`no handshake ${id}`)
    return hs
  } finally {
    await store.close()
  }
}

async function waitForStep(gw: Gateway, id: string, step: StepName, status: string) {
  for (let i = 0; i < 500; i++) {
    const hs = await getHandshake(gw.app, id)
    if (hs.steps.find((s) => s.name === step)?.status === status) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`step ${step} never became ${status}`)
}
