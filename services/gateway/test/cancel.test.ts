import { describe, expect, it } from 'vitest'
import type { StepName } from '../src/handshakes/handshakes.schemas.ts'
import {
  AUTH,
  createHandshake,
  getHandshake,
  registerPair,
  type startGateway,
  stepStatuses,
  until,
  waitFor,
} from './helpers/gateway.ts'
import { type Gateway, STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'

const LATE = 'cancel requested once activate_secondary had started'

const SUITE = 'a cancellation after the activation was sent does not pretend nothing happened (fake agents, %s store)'

describe.each(STORE_KINDS)(SUITE, (kind) => {
  const fx = useGatewayFixture(kind)
  let gw: Gateway

  async function start(deps: Parameters<typeof startGateway>[1] = {}) {
    gw = await fx.gateway(deps)
    await registerPair(gw.app)
    return (await createHandshake(gw.app)).json().id as string
  }
  const cancel = async (id: string) => {
    const res = await gw.app.inject({ method: 'POST', url: `/v1/handshakes/${id}/cancel`, headers: AUTH })
    expect(res.statusCode, res.body).toBe(202)
  }
  const stepIs = async (id: string, name: StepName, status: string) =>
    (await getHandshake(gw.app, id)).steps.find((s) => s.name === name)?.status === status

  it('lets verify run to its end and reports what really happened', async () => {
    fx.world.streams = false
    const id = await start()
    await until(() => stepIs(id, 'verify', 'running'), 'verify to wait')
    await cancel(id)
    fx.world.streams = true
    fx.world.secondary.state = 'stream-wals'
    fx.world.connected.add('dc2')
    const hs = await waitFor(gw.app, id)
    expect(hs.state).toBe('succeeded')
    expect(hs.cancel_requested).toBe(true)
    expect(hs.error).toBeNull()
    expect(hs.steps.find((s) => s.name === 'verify')?.detail).toContain(LATE)
    expect(fx.world.calls).not.toContain('primary.revoke')
  })

  it('finishes a handshake cancelled while the activation call is in flight', async () => {
    let running = ''
    fx.world.intercept['secondary.activate'] = async (next) => {
      await cancel(running)
      return next()
    }
    const id = await start({
      hooks: {
        beforeStep: (hid) => {
          running = hid
        },
      },
    })
    const hs = await waitFor(gw.app, id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(hs.cancel_requested).toBe(true)
    expect(stepStatuses(hs)).toMatchObject({ activate_secondary: 'succeeded', verify: 'succeeded' })
    expect(hs.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain(LATE)
    expect(fx.world.activations).toBe(1)
    expect(fx.world.calls).not.toContain('primary.revoke')
  })

  it('cancels before activate_secondary when the cancellation comes first: the answer says it stops', async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const id = await start({ hooks: { beforeStep: (_id, step) => (step === 'activate_secondary' ? held : undefined) } })
    await until(() => stepIs(id, 'inspect_token', 'succeeded'), 'the token to be inspected')
    await cancel(id)
    const answered = await gw.app.inject({ method: 'GET', url: `/v1/operations/${id}`, headers: AUTH })
    expect(answered.json().past_point_of_no_return).toBe(false)
    release()
    const hs = await waitFor(gw.app, id)
    expect(hs.state).toBe('cancelled')
    expect(hs.error?.detail).toContain('revoked the unused secondary id dc2')
    expect(fx.world.calls).not.toContain('secondary.activate')
    expect(fx.world.knownSecondaries.size).toBe(0)
  })
})
