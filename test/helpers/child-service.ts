import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { GATEWAY_NODE_FLAGS } from '@vault-dr/gateway/node-flags'
import { Agent, request } from 'undici'
import { serviceEntry } from './repo-paths.ts'

export type ServiceName = 'primary-agent' | 'secondary-agent' | 'gateway'

/** Every line any child process printed during the run, to search for secrets at the end. */
export const allOutput: string[] = []

export interface ChildService {
  name: ServiceName
  url: string
  process: ChildProcess
  output: string[]
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Starts a built service (dist/server.js) as its own process and waits until it answers /healthz; over HTTPS,
 * trusting `caPem`, when the service is given a certificate (VAULT_DR_TLS_CERT / VAULT_DR_TLS_KEY).
 */
export async function startChildService(
  name: ServiceName,
  env: Record<string, string>,
  { host = '127.0.0.1', port, caPem }: { host?: string; port: number; caPem?: string | undefined },
): Promise<ChildService> {
  const flags = name === 'gateway' ? GATEWAY_NODE_FLAGS : []
  const child = spawn(process.execPath, [...flags, serviceEntry(name)], {
    env: { PATH: process.env.PATH ?? '', VAULT_DR_HOST: host, VAULT_DR_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line)
      allOutput.push(`[${name}] ${line}`)
    }
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }))
  const url = `${caPem === undefined ? 'http' : 'https'}://${host}:${port}`
  // Each poll gives up after a few seconds (a service that accepts but never answers is polled again until the
  // deadline), and the pool is closed however the wait ends.
  const dispatcher = new Agent({
    connect: caPem === undefined ? {} : { ca: caPem },
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  })
  const deadline = Date.now() + 20_000
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited at start:\n${output.join('\n')}`)
      }
      // Only this service answers: another process on the port (one that took it first) must not pass for it.
      const up = await request(`${url}/healthz`, { dispatcher })
        .then(async (r) => {
          const body = (await r.body.json().catch(() => ({}))) as { service?: string }
          return r.statusCode === 200 && body.service === `vault-dr-${name}`
        })
        .catch(() => false)
      if (up) break
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        await exited
        throw new Error(`${name} did not answer /healthz within 20 s:\n${output.join('\n')}`)
      }
      await sleep(50)
    }
  } finally {
    await dispatcher.close()
  }
  return {
    name,
    url,
    process: child,
    output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/**
 * Starts services at once (each boots in its own process); every one that started is stopped by `closers`, so one
 * that failed to start leaves none of the others running.
 */
export async function startedTogether<const T extends readonly (() => Promise<ChildService>)[]>(
  closers: Array<() => Promise<unknown>>,
  starts: T,
): Promise<{ [K in keyof T]: ChildService }> {
  const results = await Promise.allSettled(starts.map((start) => start()))
  for (const r of results) if (r.status === 'fulfilled') closers.push(() => r.value.stop('SIGKILL'))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return results.map((r) => (r as PromiseFulfilledResult<ChildService>).value) as { [K in keyof T]: ChildService }
}
