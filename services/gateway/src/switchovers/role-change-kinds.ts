import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import { drillKind } from '../drills/drill.kind.ts'
import { drillsRoutes } from '../drills/drills.routes.ts'
import type { GatewayKind, KindDeps } from '../engine.ts'
import { switchoverKind } from './switchover.kind.ts'
import { switchoversRoutes } from './switchovers.routes.ts'

/**
 * The switchover and drill kinds with their routes, for the gateway's list of registered kinds. They make role
 * changes with the DR operation tokens the gateway keeps, so they are given its custody beside the kind deps.
 */
export function roleChangeKinds(custody: TokenCustody): GatewayKind[] {
  const withCustody = (deps: KindDeps) => ({ ...deps, custody })
  return [
    {
      kind: (deps) => switchoverKind(withCustody(deps)),
      routes: (v1, deps) => v1.register(switchoversRoutes, { deps: withCustody(deps) }),
    },
    {
      kind: (deps) => drillKind(withCustody(deps)),
      routes: (v1, deps) => v1.register(drillsRoutes, { deps: withCustody(deps) }),
    },
  ]
}
