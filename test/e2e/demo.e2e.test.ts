import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/repo-paths.ts'

describe('npm start with nothing configured', () => {
  it('runs the whole stack on loopback, completes a handshake, serves the gateway, and stops cleanly on Ctrl-C', async () => {
    const demo = spawn(process.execPath, ['--conditions=@vault-dr/source', 'src/demo/main.ts'], {
      cwd: `${repoRoot}packages/cli`,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    demo.stdout.on('data', (chunk) => {
      output += chunk
    })
    demo.stderr.on('data', (chunk) => {
      output += chunk
    })
    await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toMatch(/Logs: /)
    expect(output).toMatch(/handshake \S+ succeeded/)
    const gateway = /gateway: (http:\/\/\S+) \(Swagger UI/.exec(output)?.[1]
    expect((await fetch(`${gateway}/docs/json`)).status).toBe(200)
    const tokenFile = /VAULT_DR_API_TOKEN_FILE=(\S+)/.exec(output)?.[1] ?? ''
    expect(tokenFile).toMatch(/\.vault-dr\/api-token$/)
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)

    demo.kill('SIGINT')
    const [code] = await once(demo, 'exit')
    expect(code).toBe(0)
    expect(output).not.toMatch(/eyJ[\w-]{10,}\.eyJ/)
  })
})
