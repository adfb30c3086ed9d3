import { describe, expect, it } from 'vitest'
import { AUTH, createHandshake, registerPair, waitFor } from './helpers/gateway.ts'
import { STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'

describe.each(STORE_KINDS)('Last-Event-ID on the event stream (%s store)', (kind) => {
  const fx = useGatewayFixture(kind)

  async function finishedHandshake() {
    const gw = await fx.gateway()
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await waitFor(gw.app, id, ['succeeded'])
    const stream = (lastEventId?: string) =>
      gw.app.inject({
        method: 'GET',
        url: `/v1/handshakes/${id}/events`,
        headers: { ...AUTH, ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
      })
    return { stream }
  }

  const ids = (body: string) => [...body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))

  it('replays the events after the one named, in digits', async () => {
    const { stream } = await finishedHandshake()
    const all = ids((await stream('0')).body)
    expect(all.length).toBeGreaterThan(3)
    const res = await stream(String(all[2]))
    expect(res.statusCode).toBe(200)
    expect(ids(res.body)).toEqual(all.slice(3))
  })

  it.each(['1e3', '0x10', 'abc', '-1', '+5', '1.0', '5,6', '9007199254740993', '1'.repeat(40)])(
    'refuses %j with 400 naming headers/last-event-id, sending no stream',
    async (value) => {
      const { stream } = await finishedHandshake()
      const res = await stream(value)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({
        code: 'CORE_ERR_VALIDATION',
        errors: [{ path: 'headers/last-event-id', message: expect.any(String) }],
      })
      expect(res.body.length).toBeLessThan(2_000)
    },
  )

  it('reads an empty value as none: no replay, the snapshot and done only', async () => {
    const { stream } = await finishedHandshake()
    const res = await stream('')
    expect(res.statusCode).toBe(200)
    expect(ids(res.body)).toEqual([])
    expect(res.body).toContain('event: snapshot')
    expect(res.body).toContain('event: done')
  })
})
