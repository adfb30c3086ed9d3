import { request } from 'node:https'
import { stopIfPastLease } from '../operations/lease-watch.ts'
import { HookErrors } from './hook-errors.ts'
import type { HookSettings } from './hook-settings.ts'

/** What a hook receives: where the operation stands; never a secret. */
export interface HookPayload {
  operation_id: string
  kind: string
  step: string
  phase: 'pre' | 'post'
  clusters: string[]
  from: string
  to: string
  result?: Record<string, unknown>
}

export interface HookAnswer {
  status: number
  took_ms: number
}

/**
 * POSTs the payload as JSON to the hook over HTTPS (certificate checked against the system roots or
 * VAULT_DR_HOOK_CACERT), and answers when it said 2xx; anything else, no answer in time, or no connection throws a
 * coded error quoting the start of what it said. Redirects are not followed.
 */
export async function callHook(
  url: string,
  payload: HookPayload,
  settings: HookSettings,
  signal?: AbortSignal,
): Promise<HookAnswer> {
  // As before an agent call: a run whose lease ran out while this process was frozen sends nothing (the hook may move
  // traffic, and another gateway may have finished the operation since).
  stopIfPastLease(signal)
  const body = JSON.stringify(payload)
  const started = performance.now()
  const target = new URL(url)
  return new Promise<HookAnswer>((resolve, reject) => {
    const timeout = AbortSignal.timeout(settings.timeoutMs)
    const req = request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'vault-dr-gateway',
        },
        ...(settings.caPem === undefined ? {} : { ca: settings.caPem }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          if (size < 4096) chunks.push(chunk)
          size += chunk.length
        })
        res.on('error', reject)
        res.on('end', () => {
          const status = res.statusCode ?? 0
          const took = Math.round(performance.now() - started)
          if (status >= 200 && status < 300) return resolve({ status, took_ms: took })
          const said = Buffer.concat(chunks).toString('utf8').trim().slice(0, 300)
          reject(HookErrors.refused(`${target.origin}${target.pathname} answered ${status}${said ? `: ${said}` : ''}`))
        })
      },
    )
    req.on('error', (err: Error) => {
      if (timeout.aborted) {
        return reject(
          HookErrors.timeout(`${target.origin}${target.pathname} gave no answer within ${settings.timeoutMs} ms`),
        )
      }
      if (signal?.aborted) return reject(signal.reason)
      reject(HookErrors.unreachable(`${target.origin}${target.pathname}: ${err.message}`, { cause: err }))
    })
    req.end(body)
  })
}
