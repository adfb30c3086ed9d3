import { describe, expect, it } from 'vitest'
import { legStepNames, parseRoleStep } from './role-step-names.ts'

describe('the step names of a leg', () => {
  it('are the role steps in order, with one update_primary per other follower', () => {
    expect(legStepNames('', ['dc3', 'dc4'])).toEqual([
      'demote_primary',
      'wait_catch_up',
      'promote_secondary',
      'verify_new_primary',
      'rejoin_old_primary',
      'update_primary:dc3',
      'update_primary:dc4',
      'verify_pairs',
      'new_dr_operation_token',
    ])
    expect(legStepNames('back.', [])).not.toContain('back.update_primary')
  })

  it('parse back to the step, its leg prefix and its cluster; other names are not role steps', () => {
    expect(parseRoleStep('update_primary:dc3', [''])).toEqual({ prefix: '', step: 'update_primary', cluster: 'dc3' })
    expect(parseRoleStep('back.demote_primary', ['out.', 'back.'])).toEqual({ prefix: 'back.', step: 'demote_primary' })
    for (const name of ['preflight', 'hold', 'update_primary', 'demote_primary:dc1', 'out.nothing', 'pre_hook']) {
      expect(parseRoleStep(name, ['', 'out.'])).toBeUndefined()
    }
  })
})
