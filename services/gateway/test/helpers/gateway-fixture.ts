import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { FakeWorld } from './fake-agents.ts'
import { registerPair, startGateway, tempDir } from './gateway.ts'

export type Gateway = Awaited<ReturnType<typeof startGateway>>

/**
 * Per test: a fresh temporary store path and a fresh world of fake agents; every gateway pushed on `gateways` is
 * closed after the test, and the folder removed. `gateway()` starts one on the store with the world's agents (and
 * `deps` over them) and pushes it; `close(gw)` closes one before the test ends, so it is not closed again after it.
 */
export function useGatewayFixture() {
  const fx = {
    dir: '',
    path: '',
    world: new FakeWorld(),
    gateways: [] as Gateway[],
    async gateway(deps: Parameters<typeof startGateway>[1] = {}, env: Record<string, string> = {}) {
      const gw = await startGateway(fx.path, { agents: fx.world.clients(), ...deps }, env)
      fx.gateways.push(gw)
      return gw
    },
    async close(gw: Gateway) {
      const at = fx.gateways.indexOf(gw)
      if (at !== -1) fx.gateways.splice(at, 1)
      await gw.app.close()
    },
  }
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
 * dc1/dc2 pair registered: `fx.gw` (closed after the test like the others). `restart(deps, env)` closes `fx.gw` and
 * starts the next `fx.gw` on the same store (the pair stays registered) with the world's agents, `deps` and `env`
 * alone: the `env` given to useRegisteredGateway is not carried over.
 */
export function useRegisteredGateway(env: Record<string, string> = {}) {
  const base = useGatewayFixture()
  const fx = Object.assign(base, {
    gw: undefined as unknown as Gateway,
    async restart(deps: Parameters<typeof startGateway>[1] = {}, restartEnv: Record<string, string> = {}) {
      await base.close(fx.gw)
      fx.gw = await base.gateway(deps, restartEnv)
      return fx.gw
    },
  })
  beforeEach(async () => {
    fx.gw = await fx.gateway({}, env)
    await registerPair(fx.gw.app)
  })
  return fx
}
