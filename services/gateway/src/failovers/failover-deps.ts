import type { SecretBox } from '../store/secret-box.ts'
import type { SwitchoverDeps } from '../switchovers/switchover-deps.ts'
import { type KindDeps, switchoverDepsOf } from '../switchovers/switchover-deps-of.ts'
import type { FailoverPlanner } from './failover-planner.ts'

/** What failovers and rejoins are built from: a switchover's deps, the failover planner, and the store key's box. */
export interface FailoverDeps extends SwitchoverDeps {
  planner: FailoverPlanner
  /** Opens a key-share ceremony's token, the fallback when no kept batch token is valid. */
  box: SecretBox
}

/** A failover's deps from the gateway's kind deps (with the DR token custody), its planner and the store key's box. */
export function failoverDepsOf(deps: KindDeps, shared: { planner: FailoverPlanner; box: SecretBox }): FailoverDeps {
  return { ...switchoverDepsOf(deps), planner: shared.planner, box: shared.box }
}
