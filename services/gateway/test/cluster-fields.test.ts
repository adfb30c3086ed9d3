import { describe, expect, it } from 'vitest'
import { AUTH, registerPair } from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

describe('a handshake or preflight naming a cluster it cannot use', () => {
  const fx = useGatewayFixture()

  it.each([
    ['an unknown primary', { primary: 'nosuch', secondary: 'dc2' }, 'GATEWAY_ERR_UNKNOWN_CLUSTER', 'body/primary'],
    ['an unknown secondary', { primary: 'dc1', secondary: 'nosuch' }, 'GATEWAY_ERR_UNKNOWN_CLUSTER', 'body/secondary'],
    ['a secondary named as primary', { primary: 'dc2', secondary: 'dc1' }, 'GATEWAY_ERR_CLUSTER_ROLE', 'body/primary'],
    ['one cluster as both sides', { primary: 'dc1', secondary: 'dc1' }, 'GATEWAY_ERR_SAME_CLUSTER', 'body/secondary'],
  ])('names the field of %s, and starts nothing', async (_, body, code, path) => {
    const gw = await fx.gateway()
    await registerPair(gw.app)
    for (const url of ['/v1/handshakes', '/v1/preflight']) {
      const res = await gw.app.inject({ method: 'POST', url, headers: AUTH, payload: body })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json()).toMatchObject({ code, errors: [{ path, message: expect.any(String) }] })
      expect(res.json().detail).toContain(path)
    }
    const list = await gw.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH })
    expect(list.json().handshakes).toEqual([])
    expect(fx.world.calls).toEqual([])
  })
})
