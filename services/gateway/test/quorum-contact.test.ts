import { describe, expect, it } from 'vitest'
import { AUTH, registerPair, until } from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

describe("a self-fencing agent's contact with the quorum side (fake agents)", () => {
  const fx = useGatewayFixture()

  it("marks only its keeping-in-touch reads as contact; an operator's read through the gateway is not", async () => {
    fx.world.primary = { ...fx.world.primary, mode: 'primary', state: 'running', clusterId: 'repl-set-1' }
    const gw = await fx.gateway({}, { VAULT_DR_PRIMARY_CONTACT_MS: '50', VAULT_DR_PAIRS_UPKEEP_MS: '3600000' })
    await registerPair(gw.app)
    await until(() => fx.world.primaryStatusMarked.includes(true), 'a marked status read of dc1')
    const unmarked = () => fx.world.primaryStatusMarked.filter((marked) => !marked).length
    const before = unmarked()
    const read = await gw.app.inject({ method: 'GET', url: '/v1/clusters/dc1', headers: AUTH })
    expect(read.statusCode, read.body).toBe(200)
    // The operator's read is the one unmarked read meanwhile (the pairs upkeep is an hour away here).
    expect(unmarked() - before).toBe(1)
  })
})
