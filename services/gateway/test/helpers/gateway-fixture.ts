import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { EtcdStore } from '../../src/store/etcd-store.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import type { Store } from '../../src/store/store.ts'
import { useEtcdCluster } from './etcd-cluster.ts'
import { FakeWorld } from './fake-agents.ts'
import { gatewayConfig, registerPair, startGateway, tempDir } from './gateway.ts'

export type Gateway = Awaited<ReturnType<typeof startGateway>>

/** The stores gateway tests run against: `describe.each(STORE_KINDS)` runs a suite on each. */
export const STORE_KINDS = ['sqlite', 'etcd'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

/**
 * Per test: a fresh temporary store path and a fresh world of fake agents; every gateway pushed on `gateways` is
 * closed after the test, and the folder removed. `gateway()` starts one on the store with the world's agents (and
 * `deps` over them) and pushes it; `close(gw)` closes one before the test ends, so it is not closed again after it.
 * With `kind` 'etcd', the store is a fresh key prefix on a three-member etcd cluster started for the suite, and
 * `path` its VAULT_DR_STORE; `openStore()` opens another store on the same data either way (the caller closes it).
 */
export function useGatewayFixture(kind: StoreKind = 'sqlite') {
  const etcd = kind === 'etcd' ? useEtcdCluster() : undefined
  const fx = {
    dir: '',
    path: '',
    /** What the store needs besides VAULT_DR_STORE (the etcd key prefix). */
    storeEnv: {} as Record<string, string>,
    world: new FakeWorld(),
    gateways: [] as Gateway[],
    async gateway(deps: Parameters<typeof startGateway>[1] = {}, env: Record<string, string> = {}) {
      const gw = await startGateway(fx.path, { agents: fx.world.clients(), ...deps }, { ...fx.storeEnv, ...env })
      fx.gateways.push(gw)
      return gw
    },
    openStore(): Store {
      const settings = gatewayConfig(fx.path, fx.storeEnv).etcd
      return settings === undefined ? new SqliteStore(fx.path) : new EtcdStore(settings)
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
    fx.path = etcd === undefined ? join(tmp.dir, 'gw.sqlite') : etcd.cluster.storeUrl
    fx.storeEnv = etcd === undefined ? {} : { VAULT_DR_ETCD_PREFIX: etcd.cluster.freshPrefix() }
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
export function useRegisteredGateway(env: Record<string, string> = {}, kind: StoreKind = 'sqlite') {
  const base = useGatewayFixture(kind)
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
