import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { repoRoot } from '../helpers/repo-paths.ts'

const run = promisify(execFile)

/**
 * The operator's first hour, literally: a fresh clone of this repository (its last commit), `npm ci`, `npm start`,
 * then every `npx vault-dr …` command the demo prints, with the variables it prints, and nothing built (the failover
 * dry run, printed for after a site is lost, answers that the primary is healthy).
 */
describe('a fresh clone', () => {
  it('runs npm ci, npm start and the CLI commands the demo prints, unbuilt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-dr-clone-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir }
    await run('git', ['clone', '--quiet', '--depth', '1', `file://${repoRoot}`, dir])
    // From npm's cache only (this machine installed the same lockfile before the tests ran): no traffic leaves it.
    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir, env, timeout: 300_000 })
    for (const pkg of ['packages/core', 'packages/cli', 'services/gateway']) {
      expect(existsSync(join(dir, pkg, 'dist')), `${pkg}/dist`).toBe(false)
    }

    // Its own process group: the demo and everything it started end together, however the test ends.
    const demo = spawn('npm', ['start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const exited = once(demo, 'exit')
    const stop = (signal: NodeJS.Signals) => {
      if (demo.pid === undefined || demo.exitCode !== null || demo.signalCode !== null) return
      try {
        process.kill(-demo.pid, signal)
      } catch {
        // The group ended meanwhile.
      }
    }
    onTestFinished(() => stop('SIGKILL'))
    let output = ''
    for (const stream of [demo.stdout, demo.stderr]) stream.on('data', (chunk) => (output += chunk))
    await expect.poll(() => output, { timeout: 120_000, interval: 200 }).toMatch(/npx vault-dr handshake list/)
    expect(output).toMatch(/handshake \S+ succeeded/)

    const exported = Object.fromEntries([...output.matchAll(/export (VAULT_DR_\w+)=(\S+)/g)].map((m) => [m[1], m[2]]))
    expect(Object.keys(exported)).toEqual(expect.arrayContaining(['VAULT_DR_GATEWAY_ADDR', 'VAULT_DR_API_TOKEN_FILE']))
    const commands = [...output.matchAll(/^\s*npx (vault-dr .+)$/gm)].map((m) => (m[1] ?? '').trim().split(/\s+/))
    expect(commands.length).toBeGreaterThanOrEqual(2)
    for (const args of commands) {
      const options = { cwd: dir, env: { ...env, ...exported }, timeout: 60_000 }
      if (args[1] === 'failover') {
        // Printed to run once dc1's site is lost (the curl before it): with dc1 healthy, the plan refuses (exit 1).
        const refused = (await run('npx', args, options).catch((err: unknown) => err)) as {
          code?: number
          stdout?: string
        }
        expect(refused.code, args.join(' ')).toBe(1)
        expect(refused.stdout).toContain('PRIMARY_HEALTHY')
        continue
      }
      // Each exits 0 (run rejects otherwise); the ones that ask the gateway show the demo's clusters.
      const { stdout } = await run('npx', args, options)
      expect(stdout, args.join(' ')).toMatch(args.includes('--help') ? /vault-dr/ : /dc1|dc2/)
    }

    // Ctrl-C reaches npm and the demo alike: npm passes the signal on as its own end, the demo stops its stack.
    stop('SIGINT')
    const [code, signal] = await exited
    expect({ code, signal }).toEqual(code === 0 ? { code: 0, signal: null } : { code: null, signal: 'SIGINT' })
    expect(output).toMatch(/stopping/)
  })
})
