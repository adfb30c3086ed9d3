import { describe, expect, it } from 'vitest'
import { expandValues, exposedSamples, ruleTestGroups } from './alert-rules-series.ts'

describe("reading the rules' test series and a /metrics text", () => {
  it("expands promtool's series notation", () => {
    expect(expandValues('1x2 _ _x2 0+10x3 5-1x2 7')).toEqual([1, 1, 1, null, null, null, 0, 10, 20, 30, 5, 4, 3, 7])
    expect(() => expandValues('1y2')).toThrow('not promtool series notation')
  })

  it('reads each group with its series and its alert tests', () => {
    const text = [
      'tests:',
      '  - name: cut',
      '    interval: 1m',
      '    input_series:',
      `      - series: 'vault_dr_pair_connected{primary="dc1",secondary="dc2",job="gw"}'`,
      '        values: "1x1 0x2"',
      '    alert_rule_test:',
      '      - { eval_time: 1m, alertname: VaultDrPairDisconnected, exp_alerts: [] }',
    ].join('\n')
    const [group] = ruleTestGroups(text)
    expect(group?.name).toBe('cut')
    expect(group?.series).toEqual([
      {
        name: 'vault_dr_pair_connected',
        labels: { primary: 'dc1', secondary: 'dc2', job: 'gw' },
        values: [1, 1, 0, 0, 0],
      },
    ])
    expect(group?.alertTests).toContain('alertname: VaultDrPairDisconnected')
  })

  it('reads the samples of a text exposition', () => {
    const text = '# HELP x y\n# TYPE x gauge\nx{a="1",b="two"} 3\nup 1\nexp 1.7e9\n'
    expect(exposedSamples(text)).toEqual([
      { name: 'x', labels: { a: '1', b: 'two' }, value: 3 },
      { name: 'up', labels: {}, value: 1 },
      { name: 'exp', labels: {}, value: 1.7e9 },
    ])
  })
})
