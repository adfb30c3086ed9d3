import { describe, expect, it } from 'vitest'
import { newLeg, reversed } from '../role-changes/leg.ts'
import { drillSteps } from './drill-plan.ts'

describe('a drill plan', () => {
  const out = newLeg('dc1', 'dc2', 'dc2-id', [
    { cluster: 'dc1', secondary_id: 'dc1' },
    { cluster: 'dc3', secondary_id: 'dc3-id' },
  ])
  const back = reversed(out)

  it('goes back the same way: dc2 steps down and follows dc1 again with the id it had, dc3 follows dc1 again', () => {
    expect(back).toMatchObject({ from: 'dc2', to: 'dc1', to_secondary_id: 'dc1' })
    expect(back.followers).toEqual([
      { cluster: 'dc2', secondary_id: 'dc2-id' },
      { cluster: 'dc3', secondary_id: 'dc3-id' },
    ])
  })

  it('is preflight, hooks, the leg there, the hold, the leg back', () => {
    const steps = drillSteps({ legs: [out, back], preHook: true, postHook: false })
    expect(steps.slice(0, 3)).toEqual(['preflight', 'pre_hook', 'out.demote_primary'])
    expect(steps).toContain('out.update_primary:dc3')
    expect(steps).toContain('back.update_primary:dc3')
    expect(steps.indexOf('hold')).toBeGreaterThan(steps.indexOf('out.new_dr_operation_token'))
    expect(steps.indexOf('hold')).toBeLessThan(steps.indexOf('back.demote_primary'))
    expect(steps.at(-1)).toBe('back.new_dr_operation_token')
    expect(new Set(steps).size).toBe(steps.length)
  })
})
