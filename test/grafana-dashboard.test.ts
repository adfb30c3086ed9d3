import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { dashboardFile } from './helpers/deploy-files.ts'
import { promtool, requirePromtool } from './helpers/promtool.ts'

interface Target {
  refId: string
  expr: string
  datasource: { uid: string }
}
interface Panel {
  id: number
  type: string
  title: string
  datasource?: { uid: string }
  gridPos: { x: number; y: number; w: number; h: number }
  targets?: Target[]
}
interface Variable {
  name: string
  type: string
  allValue?: string
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template literal
const CHOSEN_DATASOURCE = '${datasource}'

/** What Grafana puts in place of its own interval variables; any valid duration parses the same. */
const GRAFANA_INTERVALS: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '1h' }

let dashboard: { uid: string; panels: Panel[]; templating: { list: Variable[] } }

beforeAll(async () => {
  await requirePromtool()
  dashboard = JSON.parse(await readFile(dashboardFile, 'utf8'))
})

const queryPanels = () => dashboard.panels.filter((p) => p.type !== 'row')

/** A panel query as Prometheus receives it: Grafana's interval variables and the dashboard's own replaced. */
function asPromQL(expr: string): string {
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]))
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const value = GRAFANA_INTERVALS[name] ?? variables.get(name)?.allValue
    if (value === undefined) throw new Error(`${whole} in ${expr} is neither a Grafana interval nor a variable`)
    return value
  })
}

describe('deploy/grafana/vault-dr.json', () => {
  it('is a dashboard whose every query panel asks the chosen Prometheus data source', () => {
    expect(dashboard.uid).toBe('vault-dr')
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    )
    const ids = dashboard.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(queryPanels().length).toBeGreaterThanOrEqual(10)
    for (const panel of queryPanels()) {
      expect(panel.datasource?.uid, panel.title).toBe(CHOSEN_DATASOURCE)
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      for (const t of panel.targets ?? []) expect(t.datasource.uid, `${panel.title} ${t.refId}`).toBe(CHOSEN_DATASOURCE)
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24)
    }
  })

  it('has the pairs table, lag and heartbeat over time, and the operations of every kind', () => {
    const titles = queryPanels().map((p) => `${p.type}: ${p.title}`)
    expect(titles).toEqual(
      expect.arrayContaining([
        'table: Pairs',
        'timeseries: Lag behind the primary',
        'timeseries: Heartbeat age',
        'timeseries: Handshakes by state',
        'timeseries: Step duration p95',
        'timeseries: Role changes by kind and state',
        'timeseries: Role-change failures by code',
      ]),
    )
  })

  it('has panel queries that all parse as PromQL (promtool check rules, each query a recording rule)', async () => {
    const queries = queryPanels().flatMap((p) =>
      (p.targets ?? []).map((t) => ({ at: `${p.title} ${t.refId}`, expr: t.expr })),
    )
    const rules = queries.map(
      (q, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(asPromQL(q.expr))}`,
    )
    const dir = await mkdtemp(join(tmpdir(), 'vault-dr-dashboard-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const file = join(dir, 'dashboard-queries.yml')
    await writeFile(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`)
    const check = await promtool(['check', 'rules', file])
    expect(check.output).toContain(`SUCCESS: ${queries.length} rules found`)
    expect(check.code, check.output).toBe(0)
  })
})
