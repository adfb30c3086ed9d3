import { describe, expect, it } from 'vitest'
import { GatewayErrors } from '../src/gateway-errors.ts'
import { createHandshake, registerPair, waitFor } from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

describe('a mint whose answer is lost (the primary agent dies after Vault minted) (fake agents)', () => {
  const fx = useGatewayFixture()

  it('revokes the unused id once the agent answers again and mints anew: the handshake succeeds', async () => {
    let lost = false
    fx.world.intercept['primary.mintToken'] = async (next) => {
      if (lost) return next()
      lost = true
      await next()
      throw GatewayErrors.agentUnreachable('primary-agent: UND_ERR_SOCKET: other side closed')
    }
    const gw = await fx.gateway()
    await registerPair(gw.app)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.error)).toBe('succeeded')
    const changes = fx.world.calls.filter((c) => /revoke|mint|activate\b/.test(c) && c !== 'secondary.activation')
    expect(changes).toEqual(['primary.mintToken', 'primary.revoke', 'primary.mintToken', 'secondary.activate'])
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
    expect(fx.world.activations).toBe(1)
  })
})
