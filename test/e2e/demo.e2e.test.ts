import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectNoSecretsIn } from '../helpers/log-search.ts'
import { repoRoot } from '../helpers/repo-paths.ts'

// Where the demo keeps its generated tokens and each process's log (appended to, run after run).
const dataDir = join(repoRoot, '.vault-dr')
const logDir = join(dataDir, 'logs')

/** The size of each log file now: what a run appends comes after it. */
function logSizes(): Map<string, number> {
  const files = existsSync(logDir) ? readdirSync(logDir) : []
  return new Map(files.map((file) => [file, statSync(join(logDir, file)).size]))
}

/** What each log file got since `before`, by file name. */
function logsSince(before: Map<string, number>): Map<string, string> {
  return new Map(
    readdirSync(logDir).map((file) => [
      file,
      readFileSync(join(logDir, file))
        .subarray(before.get(file) ?? 0)
        .toString(),
    ]),
  )
}

describe('npm start with nothing configured', () => {
  it('runs the whole stack on loopback, completes a handshake, serves the gateway, and stops cleanly on Ctrl-C', async () => {
    const before = logSizes()
    // Its own process group: if the test fails midway, the demo and every process it started end together.
    const demo = spawn(process.execPath, ['--conditions=@vault-dr/source', 'src/demo/main.ts'], {
      cwd: `${repoRoot}packages/cli`,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const exited = once(demo, 'exit')
    let stoppedCleanly = false
    let output = ''
    demo.stdout.on('data', (chunk) => {
      output += chunk
    })
    demo.stderr.on('data', (chunk) => {
      output += chunk
    })
    try {
      await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toMatch(/Logs: /)
      expect(output).toMatch(/handshake \S+ succeeded/)
      const gateway = /gateway: (http:\/\/\S+) \(Swagger UI/.exec(output)?.[1]
      expect((await fetch(`${gateway}/docs/json`)).status).toBe(200)
      const tokenFile = /VAULT_DR_API_TOKEN_FILE=(\S+)/.exec(output)?.[1] ?? ''
      expect(tokenFile).toMatch(/\.vault-dr\/api-token$/)
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
      // Only the owner enters the data folder and reads the logs (they hold addresses, ids and errors).
      expect([dataDir, logDir].map((dir) => statSync(dir).mode & 0o777)).toEqual([0o700, 0o700])
      for (const file of readdirSync(logDir)) expect(statSync(join(logDir, file)).mode & 0o777, file).toBe(0o600)
      const secretsDir = join(dataDir, 'secrets')
      // The status page's read token: it reads the fleet, and may start nothing.
      const readTokenFile = /sign in with the read token in (\S+)\)/.exec(output)?.[1] ?? ''
      expect(readTokenFile).toMatch(/\.vault-dr\/read-token$/)
      expect(statSync(readTokenFile).mode & 0o777).toBe(0o600)
      const read = { authorization: `Bearer ${readFileSync(readTokenFile, 'utf8').trim()}` }
      expect((await fetch(`${gateway}/v1/clusters`, { headers: read })).status).toBe(200)
      const start = await fetch(`${gateway}/v1/handshakes`, {
        method: 'POST',
        headers: { ...read, 'content-type': 'application/json' },
        body: JSON.stringify({ primary: 'dc1', secondary: 'dc2' }),
      })
      expect(start.status).toBe(403)
      // The pair it made changes roles: a switchover to dc2 succeeds (both agents' Vault token holds on either cluster).
      const auth = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` }
      const switchover = await fetch(`${gateway}/v1/switchovers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'dc2' }),
      })
      expect(switchover.status).toBe(202)
      const { id } = (await switchover.json()) as { id: string }
      const operation = async () =>
        (await (await fetch(`${gateway}/v1/operations/${id}`, { headers: auth })).json()) as { state: string }
      await expect
        .poll(async () => (await operation()).state, { timeout: 60_000, interval: 250 })
        .toMatch(/^(succeeded|failed)$/)
      expect(await operation()).toMatchObject({ state: 'succeeded' })
      // The secrets this run generated: the gateway's two tokens and its store key, the clusters' one root token,
      // each agent's token.
      const storeKeyFile = join(dirname(tokenFile), 'store-key')
      expect(statSync(storeKeyFile).mode & 0o777).toBe(0o600)
      const files = [tokenFile, readTokenFile, storeKeyFile, ...readdirSync(secretsDir).map((f) => join(secretsDir, f))]
      const secrets = files.map((file) => readFileSync(file, 'utf8').trim())
      expect(secrets).toHaveLength(6)

      demo.kill('SIGINT')
      const [code] = await exited
      expect(code).toBe(0)
      stoppedCleanly = true
      expect(output).not.toMatch(/eyJ[\w-]{10,}\.eyJ/)
      expectNoSecretsIn(output.split('\n'), secrets)
      // The services' own logs: each wrote this run, and none holds a secret.
      const logs = logsSince(before)
      for (const service of ['gateway', 'primary-agent', 'secondary-agent']) {
        expect(logs.get(`${service}.log`), `${service}.log`).toMatch(/"msg":"Server listening at /)
      }
      expectNoSecretsIn(
        [...logs.values()].flatMap((text) => text.split('\n')),
        secrets,
      )
    } finally {
      if (!stoppedCleanly) {
        try {
          process.kill(-(demo.pid as number), 'SIGKILL')
        } catch {
          // ESRCH: nothing of the demo is left
        }
        await exited
      }
    }
  })
})
