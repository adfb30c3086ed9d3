import type { HandshakeSettings } from '../config.ts'
import { DEFAULT_HOOK_SETTINGS } from '../hooks/hook-settings.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'

/** The gateway's kind dependencies (engine.ts KindDeps, the parts used) and its DR operation token custody. */
export type KindDeps = Omit<SwitchoverDeps, 'hooks' | 'settings'> & { settings: HandshakeSettings }

/**
 * What switchovers and drills are built from, out of the gateway's shared kind dependencies and its DR operation token
 * custody.
 */
export function switchoverDepsOf(deps: KindDeps): SwitchoverDeps {
  return {
    store: deps.store,
    clusters: deps.clusters,
    agents: deps.agents,
    custody: deps.custody,
    operations: deps.operations,
    hooks: deps.settings.hooks ?? DEFAULT_HOOK_SETTINGS,
    settings: {
      settleTimeoutMs: Math.max(60_000, deps.settings.agentChangeTimeoutMs),
      agentReturnMs: deps.settings.agentReturnMs,
      pollMs: 20,
      activationTtl: '10m',
      statusTimeoutMs: deps.settings.fleetTimeoutMs,
      maxLagWals: 1_000,
    },
    now: deps.now,
  }
}
