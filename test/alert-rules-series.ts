/** One input series of a promtool rule test: its metric name, labels and the expanded values (null for `_`). */
export interface RuleTestSeries {
  name: string
  labels: Record<string, string>
  values: Array<number | null>
}

/** One test group of a promtool test file: its name, input series and the text of its alert_rule_test. */
export interface RuleTestGroup {
  name: string
  series: RuleTestSeries[]
  alertTests: string
}

const SERIES = /^ {6}- series: '([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}'\n {8}values: "([^"]*)"$/gm
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g

/** promtool's expanding notation: `a`, `_`, `axn` (n+1 times a), `_xn`, `a+bxn` / `a-bxn` (n+1 values from a). */
export function expandValues(notation: string): Array<number | null> {
  const out: Array<number | null> = []
  for (const term of notation.trim().split(/\s+/)) {
    const m = /^(_|-?[\d.e+]+?)(?:([+-][\d.]+)?x(\d+))?$/.exec(term)
    if (!m) throw new Error(`not promtool series notation: ${term}`)
    const [, start, step, times] = m
    if (times === undefined) {
      out.push(start === '_' ? null : Number(start))
      continue
    }
    const count = Number(times)
    if (start === '_') {
      for (let i = 0; i < count; i++) out.push(null)
      continue
    }
    // 'axn' is n+1 samples; '_xn' is n.
    for (let i = 0; i <= count; i++) out.push(Number(start) + i * Number(step ?? 0))
  }
  return out
}

/** The test groups of a promtool test file written as deploy/prometheus/vault-dr-rules.test.yml is. */
export function ruleTestGroups(text: string): RuleTestGroup[] {
  return text
    .split(/\n {2}- name: /)
    .slice(1)
    .map((block) => {
      const name = block.slice(0, block.indexOf('\n'))
      const series = [...block.matchAll(SERIES)].map(([, metric, labels, values]) => ({
        name: metric as string,
        labels: Object.fromEntries([...(labels as string).matchAll(LABEL)].map(([, k, v]) => [k, v])),
        values: expandValues(values as string),
      }))
      return { name, series, alertTests: block.slice(block.indexOf('alert_rule_test:')) }
    })
}

/** A sample of a Prometheus text exposition: name, labels and value. */
export interface ExposedSample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The samples of a /metrics text (comments skipped; label values without escaped quotes, as ours are). */
export function exposedSamples(text: string): ExposedSample[] {
  const samples: ExposedSample[] = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)/.exec(line)
    if (!m) continue
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(LABEL)].map(([, k, v]) => [k, v]))
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) })
  }
  return samples
}
