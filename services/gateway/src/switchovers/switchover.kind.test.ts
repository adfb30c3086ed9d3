import { describe, expect, it } from 'vitest'
import { drillKind } from '../drills/drill.kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { pendingStep } from '../operations/step.ts'
import { switchoverKind } from './switchover.kind.ts'
import type { KindDeps } from './switchover-deps-of.ts'
import { switchoverSteps } from './switchover-plan.ts'

const deps = {
  settings: { agentChangeTimeoutMs: 30_000, fleetTimeoutMs: 5_000 },
  now: Date.now,
} as unknown as KindDeps

function record(kind: 'switchover' | 'drill', steps: string[], subject: Record<string, unknown>): OperationRecord {
  return {
    id: 'op-1',
    kind,
    state: 'pending',
    clusters: ['dc1', 'dc2', 'dc3'],
    subject,
    data: {},
    steps: steps.map(pendingStep),
    error: null,
    cancel_requested: false,
    idempotency_key: null,
    request_hash: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    finished_at: null,
  }
}

const subject = {
  from: 'dc1',
  to: 'dc2',
  pre_hook_url: 'https://hooks.example/pre',
  post_hook_url: null,
  catch_up_timeout: '60s',
}

describe('the switchover kind', () => {
  const steps = switchoverSteps({
    from: 'dc1',
    to: 'dc2',
    followers: [
      { cluster: 'dc1', secondary_id: 'dc1' },
      { cluster: 'dc3', secondary_id: 'dc3' },
    ],
    preHook: true,
    postHook: false,
  })
  const rec = record('switchover', steps, subject)
  const kind = switchoverKind(deps)

  it('plans every step once, and knows each planned name', () => {
    expect(steps).toEqual([
      'preflight',
      'pre_hook',
      'demote_primary',
      'wait_catch_up',
      'promote_secondary',
      'verify_new_primary',
      'rejoin_old_primary',
      'update_primary:dc3',
      'verify_pairs',
      'new_dr_operation_token',
    ])
    for (const name of steps) expect(kind.step(name, rec).name).toBe(name)
    expect(() => kind.step('post_hook', rec)).toThrow(/no step post_hook/)
    expect(() => kind.step('hold', rec)).toThrow()
  })

  it('stops cleanly on a cancel until the demote; from the demote on, it runs to a safe end', () => {
    const policy = (name: string) => kind.step(name, rec)
    expect(policy('preflight')).toMatchObject({ cancellable: true, interruptible: true })
    expect(policy('pre_hook')).toMatchObject({ cancellable: true })
    expect(policy('pre_hook').pastPointOfNoReturn).not.toBe(true)
    for (const name of steps.slice(2)) {
      expect(policy(name)).toMatchObject({ pastPointOfNoReturn: true, cancellable: false })
    }
    // Steps that only read may be interrupted by a stopping gateway; those that change a role may not.
    expect(steps.slice(2).filter((n) => policy(n).interruptible)).toEqual([
      'wait_catch_up',
      'verify_new_primary',
      'verify_pairs',
    ])
    expect(kind.lateCancelNote).toContain('safe end')
  })
})

describe('the drill kind', () => {
  it('holds past the point of no return, interruptibly, and knows both legs', () => {
    const kind = drillKind(deps)
    const rec = record('drill', ['preflight', 'out.demote_primary', 'hold', 'back.update_primary:dc3'], {
      ...subject,
      hold: '5m',
      check_interval: '10s',
    })
    expect(kind.step('hold', rec)).toMatchObject({ interruptible: true, pastPointOfNoReturn: true })
    expect(kind.step('out.demote_primary', rec).pastPointOfNoReturn).toBe(true)
    expect(kind.step('back.update_primary:dc3', rec).name).toBe('back.update_primary:dc3')
    expect(() => kind.step('demote_primary', rec)).toThrow()
  })
})
