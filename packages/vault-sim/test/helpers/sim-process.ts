import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/vault-sim.js', import.meta.url))

export interface SimInfo {
  name: string
  api_addr: string
  cluster_addr: string
  ca_file?: string
  admin_addr?: string
}

export interface SimProcess {
  child: ChildProcess
  info: SimInfo
  stderr: () => string
  stdout: () => string
  stop(signal: NodeJS.Signals): Promise<number | null>
}

export class SimStartError extends Error {
  override name = 'SimStartError'
}

/** Spawns `vault-sim` on the current Node and waits for its JSON line (or its exit). */
export async function spawnSim(args: string[], rootToken: string): Promise<SimProcess> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, VAULT_SIM_ROOT_TOKEN: rootToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  let stdout = ''
  const firstLine = new Promise<string>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')))
    })
  })
  const first = await Promise.race([firstLine, exited.then((code) => ({ code }))])
  if (typeof first !== 'string') throw new SimStartError(`vault-sim exited with ${first.code}: ${stderr}`)
  return {
    child,
    info: JSON.parse(first) as SimInfo,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
