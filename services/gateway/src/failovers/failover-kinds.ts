import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import type { GatewayKind, KindDeps } from '../engine.ts'
import type { SecretBox } from '../store/secret-box.ts'
import { failoverKind } from './failover.kind.ts'
import { type FailoverDeps, failoverDepsOf } from './failover-deps.ts'
import type { FailoverPlanner } from './failover-planner.ts'
import { failoversRoutes } from './failovers.routes.ts'
import { rejoinKind } from './rejoin.kind.ts'

/** The failover and rejoin kinds with their routes (the plan's included), for the gateway's registered kinds. */
export function failoverKinds(shared: {
  custody: TokenCustody
  planner: FailoverPlanner
  box: SecretBox
}): GatewayKind[] {
  const depsOf = (deps: KindDeps): FailoverDeps => failoverDepsOf({ ...deps, custody: shared.custody }, shared)
  return [
    {
      kind: (deps) => failoverKind(depsOf(deps)),
      routes: (v1, deps) => v1.register(failoversRoutes, { deps: depsOf(deps) }),
    },
    { kind: (deps) => rejoinKind(depsOf(deps)) },
  ]
}
