import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

const MISSING =
  "promtool is not on PATH: install Debian's prometheus package (apt-get install -y --no-install-recommends " +
  'prometheus), as .ci/run does'

/** Fails with how to install promtool when it is missing: these tests never skip. */
export async function requirePromtool(): Promise<void> {
  await run('promtool', ['--version']).catch(() => {
    throw new Error(MISSING)
  })
}

export interface PromtoolResult {
  code: number | null
  output: string
}

/** Runs promtool with the arguments and optional stdin; the exit code and stdout+stderr together. */
export function promtool(args: string[], stdin?: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', (err) => reject(new Error(`${MISSING} (${err.message})`)))
    child.on('close', (code) => resolve({ code, output }))
    child.stdin.end(stdin ?? '')
  })
}
