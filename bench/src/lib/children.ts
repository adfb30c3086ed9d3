import { type ChildProcess, fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

/** The repository root (bench/src/lib → ../../..). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
export const SOURCE_CONDITION = '--conditions=@vault-dr/source'

export interface Child {
  name: string
  pid: number
  process: ChildProcess
  logFile: string
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>
  exited(): boolean
}

/** Every child this run started, so a crash or Ctrl-C still ends them (by pid, never by name). */
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    process.exit(130)
  })
}

export interface SpawnOptions {
  /** Extra node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[]
  /** Load workspace packages from their TypeScript source (default true). */
  source?: boolean
  /** Open an IPC channel (fork); secrets travel over it, never on the command line. */
  ipc?: boolean
  logDir: string
}

function track(name: string, child: ChildProcess, logFile: string): Child {
  live.add(child)
  child.once('exit', () => live.delete(child))
  const gone = () => child.exitCode !== null || child.signalCode !== null
  return {
    name,
    pid: child.pid ?? -1,
    process: child,
    logFile,
    exited: gone,
    async stop(graceMs = 5_000) {
      if (gone()) return
      const exit = once(child, 'exit')
      child.kill('SIGTERM')
      const killer = setTimeout(() => {
        if (!gone()) child.kill('SIGKILL')
      }, graceMs)
      await exit
      clearTimeout(killer)
    },
  }
}

/**
 * Starts `node [flags] script` on this Node (24) with only PATH and `env` in its environment; its stdout and stderr
 * go to `<logDir>/<name>.log`, as a service's output would go to a journal.
 */
export function spawnNode(name: string, script: string, env: Record<string, string>, opts: SpawnOptions): Child {
  const args = [...(opts.source === false ? [] : [SOURCE_CONDITION]), ...(opts.nodeArgs ?? [])]
  const logFile = join(opts.logDir, `${name}.log`)
  // The child writes to the file itself: piping through this process would make a busy orchestrator the slow
  // reader of every service's stdout, and a service blocks on a full pipe.
  const fd = openSync(logFile, 'a')
  const childEnv = { PATH: process.env.PATH ?? '', ...env }
  try {
    const child = opts.ipc
      ? fork(script, [], { execArgv: args, env: childEnv, stdio: ['ignore', fd, fd, 'ipc'] })
      : spawn(process.execPath, [...args, script], { env: childEnv, stdio: ['ignore', fd, fd] })
    return track(name, child, logFile)
  } finally {
    closeSync(fd)
  }
}

/** A port free on host right now, outside the ephemeral range (a service restarted on it finds it free again). */
export { freeStablePort as freePort } from '@vault-dr/vault-sim'

export interface WaitOptions {
  timeoutMs: number
  intervalMs?: number
  /** Give up at once when this child exits. */
  child?: Child
  status?: number
}

/**
 * Polls url until it answers `status` (default 200); resolves with the time it first did (performance.now()).
 * Connection errors (not listening yet) just mean "again".
 */
export async function waitForStatus(url: string, opts: WaitOptions): Promise<number> {
  const deadline = performance.now() + opts.timeoutMs
  const want = opts.status ?? 200
  let last = 'no answer'
  while (performance.now() < deadline) {
    if (opts.child?.exited()) {
      throw new Error(`${opts.child.name} exited (code ${opts.child.process.exitCode}); see ${opts.child.logFile}`)
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await res.arrayBuffer()
      if (res.status === want) return performance.now()
      last = `HTTP ${res.status}`
    } catch (err) {
      last = (err as Error).message
    }
    await sleep(opts.intervalMs ?? 20)
  }
  throw new Error(`${url} did not answer ${want} within ${opts.timeoutMs} ms (last: ${last})`)
}
