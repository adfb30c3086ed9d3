import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { expectNoSecretsIn } from '../helpers/log-search.ts'
import { repoRoot } from '../helpers/repo-paths.ts'

const haDir = join(repoRoot, '.vault-dr', 'ha')

/**
 * The HA demo in its own process group: `npm run start:ha` as typed in the checkout, or its program directly (no npm
 * in between, so a signal reaches it as from a terminal); its output and its exit.
 */
function startDemo(through: 'npm' | 'node') {
  const [command, args] =
    through === 'npm'
      ? ['npm', ['run', '--silent', 'start:ha']]
      : [process.execPath, ['--conditions=@vault-dr/source', 'packages/cli/src/demo/ha-main.ts']]
  const demo = spawn(command, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const run = { output: '', exited: once(demo, 'exit') as Promise<[number | null, NodeJS.Signals | null]> }
  demo.stdout.on('data', (chunk) => {
    run.output += chunk
  })
  demo.stderr.on('data', (chunk) => {
    run.output += chunk
  })
  return { demo, run }
}

/** Whether any process of the group is left (etcd, vault-sim, an agent, a gateway). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

/** The group's processes may outlive the demo's own exit by a moment; ends any left after 10 s so the test stops. */
async function expectGroupGone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100)
  const alive = groupAlive(pid)
  if (alive) process.kill(-pid, 'SIGKILL')
  expect(alive, 'a process of the demo outlived it').toBe(false)
}

/** Ends the whole group when a test fails midway. */
async function killGroup(pid: number, exited: Promise<unknown>): Promise<void> {
  if (!groupAlive(pid)) return
  process.kill(-pid, 'SIGKILL')
  await exited
}

describe('npm run start:ha', () => {
  it('kills the gateway running the handshake mid-way, the other finishes it, and everything stops at the end', async () => {
    const { demo, run } = startDemo('npm')
    const pid = demo.pid as number
    try {
      const [code] = await run.exited
      expect(run.output).toMatch(/etcd site-a: 127\.0\.3\.1:\d+/)
      expect(run.output).toMatch(/etcd witness: 127\.0\.3\.3:\d+/)
      expect(run.output).toMatch(/>>> SIGKILL to gateway site-a \(pid \d+\) during activate_secondary/)
      expect(run.output).toMatch(/lease held by site-a;/)
      expect(run.output).toMatch(/>>> site-b holds the lease \d+\.\d s after the kill/)
      expect(run.output).toMatch(/handshake \S+ succeeded/)
      expect(run.output).toMatch(/dc2 is secondary \(stream-wals\)/)
      expect(run.output).toContain('the handshake was finished by the surviving gateway')
      expect(run.output).toMatch(/stopped\n$/)
      expect(code, run.output).toBe(0)
      await expectGroupGone(pid)
      // The gateways' shared API token, the clusters' one root token and each agent's token: in no output or log.
      const secrets = [
        join(haDir, 'api-token'),
        ...readdirSync(join(haDir, 'secrets')).map((f) => join(haDir, 'secrets', f)),
      ]
      const values = secrets.map((file) => readFileSync(file, 'utf8').trim())
      expect(values).toHaveLength(4)
      const logs = readdirSync(join(haDir, 'logs')).map((f) => readFileSync(join(haDir, 'logs', f), 'utf8'))
      expectNoSecretsIn([...run.output.split('\n'), ...logs.flatMap((l) => l.split('\n'))], values)
    } finally {
      await killGroup(pid, run.exited)
    }
  })

  it('stops every process on Ctrl-C in the middle, and exits 130', async () => {
    const { demo, run } = startDemo('node')
    const pid = demo.pid as number
    try {
      await expect.poll(() => run.output, { timeout: 60_000, interval: 100 }).toMatch(/started handshake/)
      // A terminal's Ctrl-C reaches the whole foreground group, the demo's children with it.
      process.kill(-pid, 'SIGINT')
      const [code] = await run.exited
      expect(code, run.output).toBe(130)
      expect(run.output).toMatch(/stopping every process of the demo…\nstopped\n$/)
      await expectGroupGone(pid)
    } finally {
      await killGroup(pid, run.exited)
    }
  })
})
