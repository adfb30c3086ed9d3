import { parseVaultAddress } from '../../probes/parse-address.ts'
import { probeTcp } from '../../probes/tcp-probe.ts'
import { type FixContext, networkCode, networkFix } from './diagnoses.ts'
import type { ProbeCheck, ProbeCode } from './probes.schemas.ts'

export interface Target extends FixContext {
  label: string
}

export const round = (ms: number) => Math.round(ms * 10) / 10

export function check(
  name: string,
  target: Target,
  status: ProbeCheck['status'],
  code: ProbeCode,
  detail: string,
  fix: string | null,
  latencyMs: number,
): ProbeCheck {
  return { name, target: target.label, status, code, detail, fix, latency_ms: round(latencyMs) }
}

export function targetOf(address: string, defaultPort: number, side: Target['side'], timeoutMs: number): Target {
  const { host, port } = parseVaultAddress(address, defaultPort)
  return { side, host, port, timeoutMs, label: `${host.includes(':') ? `[${host}]` : host}:${port}` }
}

export async function tcpCheck(name: string, target: Target): Promise<ProbeCheck> {
  const result = await probeTcp({ host: target.host, port: target.port, timeoutMs: target.timeoutMs })
  if (result.ok) return check(name, target, 'pass', 'OK', `connected to ${target.label}`, null, result.latency_ms)
  const code = networkCode(result.failure)
  const detail = `TCP connect to ${target.label} failed: ${result.failure.detail}`
  return check(name, target, 'fail', code, detail, networkFix(code, target), result.latency_ms)
}
