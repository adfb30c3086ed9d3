import { connect } from 'node:net'
import { classifyNetworkError, type NetworkFailure } from './classify-network-error.ts'

export interface ProbeTarget {
  host: string
  port: number
  /** A hard deadline for the whole probe; never the OS default. */
  timeoutMs: number
}

export type TcpProbeResult =
  | { ok: true; latency_ms: number }
  | { ok: false; latency_ms: number; failure: NetworkFailure }

/** Opens and closes one TCP connection. */
export function probeTcp({ host, port, timeoutMs }: ProbeTarget): Promise<TcpProbeResult> {
  const started = performance.now()
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ ok: false, latency_ms: elapsed(), failure: timeoutFailure(timeoutMs) })
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ ok: true, latency_ms: elapsed() })
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      resolve({ ok: false, latency_ms: elapsed(), failure: classifyNetworkError(err) })
    })
  })
}

export function timeoutFailure(timeoutMs: number): NetworkFailure {
  return { kind: 'timeout', code: 'ETIMEDOUT', detail: `no answer within ${timeoutMs} ms` }
}
