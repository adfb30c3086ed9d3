import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { openPrivateAppend } from './private-files.ts'

export interface Child {
  name: string
  process: ChildProcess
  stop(): Promise<void>
}

/** Spawns a Node program on this Node (24), its output appended to a log file only its owner can read. */
export function spawnNode(name: string, args: string[], env: Record<string, string>, logFile: string): Child {
  return spawnProgram(name, process.execPath, args, env, logFile)
}

/** Spawns any program with only PATH and env, its output appended to a log file only its owner can read. */
export function spawnProgram(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
): Child {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = createWriteStream(logFile, { fd: openPrivateAppend(logFile) })
  child.stdout.pipe(log, { end: false })
  child.stderr.pipe(log, { end: false })
  return {
    name,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await once(child, 'exit')
      clearTimeout(killer)
    },
  }
}

/** The first JSON line a child prints on stdout (vault-sim announces its addresses that way). */
export async function firstJsonLine(child: Child, timeoutMs: number): Promise<Record<string, string>> {
  const { stdout } = child.process
  if (stdout === null) throw new Error(`${child.name} has no stdout`)
  const lines = createInterface({ input: stdout })
  const timer = setTimeout(() => lines.close(), timeoutMs)
  try {
    for await (const line of lines) {
      if (line.startsWith('{')) return JSON.parse(line) as Record<string, string>
    }
  } finally {
    clearTimeout(timer)
  }
  throw new Error(`${child.name} did not announce itself within ${timeoutMs} ms`)
}

/** Waits until url answers 200, or the child dies, or the deadline passes. */
export async function waitHealthy(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited with ${child.process.exitCode}`)
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await sleep(50)
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms`)
}

/**
 * Stops children started in order, the last first and each waited for: gateways before the agents and clusters, etcd
 * last, so nothing is left writing to a store that went away.
 */
export async function stopChildren(children: Child[]): Promise<void> {
  for (const child of children.splice(0).reverse()) await child.stop()
}
