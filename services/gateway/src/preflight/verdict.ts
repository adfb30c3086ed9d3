import type { Check } from './preflight.schemas.ts'

/** What a check decided, before it is named and placed. */
export type Verdict = Pick<Check, 'status' | 'code' | 'detail' | 'fix'>

export const pass = (detail: string, code = 'OK'): Verdict => ({ status: 'pass', code, detail, fix: null })
export const warn = (code: string, detail: string, fix: string | null): Verdict => ({
  status: 'warn',
  code,
  detail,
  fix,
})
export const fail = (code: string, detail: string, fix: string): Verdict => ({ status: 'fail', code, detail, fix })

export function gatewayCheck(name: string, verdict: Verdict, phase: Check['phase'] = 'preflight'): Check {
  return { name, ...verdict, source: 'gateway', phase, latency_ms: null }
}
