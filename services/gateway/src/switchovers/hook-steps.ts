import type { HookPayload } from '../hooks/call-hook.ts'
import { runPostHook, runPreHook } from '../hooks/hook-step.ts'
import type { StepResult } from '../operations/step.ts'
import type { RoleChangeRun } from './role-change-run.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'

/** The hooks of a switchover or drill, told who moves where; the post-hook also gets each leg's RTO and RPO. */
export function hookStep(
  deps: SwitchoverDeps,
  r: RoleChangeRun,
  phase: 'pre' | 'post',
  url: string,
): Promise<StepResult> {
  const record = r.run.record()
  const leg = r.roles.leg(0)
  const data = r.data()
  const payload: HookPayload = {
    operation_id: record.id,
    kind: record.kind,
    step: `${phase}_hook`,
    phase,
    clusters: record.clusters,
    from: leg.from,
    to: leg.to,
    ...(phase === 'post'
      ? {
          result: {
            write_unavailable_ms: data.write_unavailable_ms,
            wals_lost: data.wals_lost,
            legs: data.legs.map((l) => ({
              from: l.from,
              to: l.to,
              write_unavailable_ms: l.write_unavailable_ms,
              wals_lost: l.wals_lost,
            })),
          },
        }
      : {}),
  }
  const call = { url, payload, settings: deps.hooks, signal: r.roles.signal() }
  return phase === 'pre' ? runPreHook(call) : runPostHook(call, (text) => r.roles.warn(text))
}
