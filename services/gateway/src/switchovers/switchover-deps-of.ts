import type { HandshakeSettings } from '../config.ts'
import { loadHookSettings } from '../hooks/hook-settings.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'

/** The part of the gateway's kind dependencies (app.ts KindDeps) switchovers and drills are built from. */
export type KindDeps = Omit<SwitchoverDeps, 'hooks' | 'settings'> & { settings: HandshakeSettings }

const built = new WeakMap<KindDeps, SwitchoverDeps>()

/**
 * What switchovers and drills are built from, out of the gateway's shared kind dependencies: the same object for the
 * kinds and their routes. The hooks' settings come from VAULT_DR_HOOK_CACERT and VAULT_DR_HOOK_TIMEOUT_MS.
 */
export function switchoverDepsOf(deps: KindDeps): SwitchoverDeps {
  const known = built.get(deps)
  if (known !== undefined) return known
  const made: SwitchoverDeps = {
    store: deps.store,
    clusters: deps.clusters,
    agents: deps.agents,
    custody: deps.custody,
    operations: deps.operations,
    hooks: loadHookSettings(process.env),
    settings: {
      settleTimeoutMs: Math.max(60_000, deps.settings.agentChangeTimeoutMs),
      pollMs: 100,
      activationTtl: '10m',
      statusTimeoutMs: deps.settings.fleetTimeoutMs,
      maxLagWals: 1_000,
    },
    now: deps.now,
  }
  built.set(deps, made)
  return made
}
