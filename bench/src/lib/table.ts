import { formatFigure, type Row } from './result.ts'

const HEADERS = ['benchmark', 'measured', 'baseline', 'ratio', 'target', 'verdict'] as const

function cells(row: Row): string[] {
  const ratio = row.ratio === null ? '—' : `${row.ratio.toFixed(2)}${row.ratioNote ? ` ${row.ratioNote}` : ''}`
  return [row.benchmark, formatFigure(row.measured), formatFigure(row.baseline), ratio, row.target, row.verdict]
}

/** A plain-text table (pipes and dashes) that reads the same in a terminal, a log and a Markdown file. */
export function renderTable(rows: readonly Row[]): string {
  const body = rows.map(cells)
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (values: readonly string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`
  return [line(HEADERS), rule, ...body.map(line)].join('\n')
}
