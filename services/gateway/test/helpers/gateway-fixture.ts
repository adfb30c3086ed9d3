import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { FakeWorld } from './fake-agents.ts'
import { registerPair, startGateway, tempDir } from './gateway.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>

/**
 * Per test: a fresh temporary store path and a fresh world of fake agents; every gateway pushed on `gateways` is
 * closed after the test, and the folder removed.
 */
export function useGatewayFixture() {
  const fx = { dir: '', path: '', world: new FakeWorld(), gateways: [] as Gateway[] }
  let cleanup = () => {}
  beforeEach(() => {
    const tmp = tempDir()
    cleanup = tmp.cleanup
    fx.dir = tmp.dir
    fx.path = join(tmp.dir, 'gw.sqlite')
    fx.world = new FakeWorld()
  })
  afterEach(async () => {
    for (const gw of fx.gateways.splice(0)) await gw.app.close()
    cleanup()
  })
  return fx
}

/**
 * useGatewayFixture, plus a gateway started on the store before each test with the fake world's agents and the
 * dc1/dc2 pair registered: `fx.gw` (closed after the test like the others).
 */
export function useRegisteredGateway(env: Record<string, string> = {}) {
  const fx = Object.assign(useGatewayFixture(), { gw: undefined as unknown as Gateway })
  beforeEach(async () => {
    fx.gw = await startGateway(fx.path, { agents: fx.world.clients() }, env)
    fx.gateways.push(fx.gw)
    await registerPair(fx.gw.app)
  })
  return fx
}
