import dns from 'node:dns'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { API_TOKEN } from '../../test/helpers/app.ts'
import { createTestPki, type TestPki } from '../../test/helpers/certs.ts'
import { SERVICE_SECRET_VARS, serviceEnvShape } from '../config/env-schemas.ts'
import { loadEnv } from '../config/load-config.ts'
import { type ServiceSettings, serviceSettings } from '../config/service-config.ts'
import { createServer } from './create-server.ts'
import { runService } from './run-service.ts'

const Env = z.object({ ...serviceEnvShape(0), VAULT_DR_STORE: z.string().optional() })
type Config = ServiceSettings & { storePath: string | undefined }
const loadConfig = (env: NodeJS.ProcessEnv): Config => {
  const parsed = loadEnv(Env, env, SERVICE_SECRET_VARS)
  return { ...serviceSettings(parsed), storePath: parsed.VAULT_DR_STORE }
}

let dir: string
let pki: TestPki
const built: FastifyInstance[] = []
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vault-dr-run-service-'))
  pki = await createTestPki()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(built.splice(0).map((app) => app.close()))
})

function file(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

/** The app a service builds: the core server, and (as the gateway does) the folder of its store. */
async function buildApp(config: Config): Promise<FastifyInstance> {
  if (config.storePath !== undefined) mkdirSync(dirname(config.storePath), { recursive: true })
  const app = await createServer({
    name: 'test-svc',
    version: '1.2.3',
    description: 'A service for tests',
    apiToken: config.api.token,
    logLevel: 'silent',
    tls: config.tls,
  })
  built.push(app)
  return app
}

/** Runs the service with `env`; resolves to what it wrote to stderr and its exit code, or rejects as it did. */
async function start(env: Record<string, string>): Promise<{ exitCode: number | undefined; stderr: string }> {
  let stderr = ''
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk)
    return true
  })
  class Exit extends Error {}
  let exitCode: number | undefined
  vi.spyOn(process, 'exit').mockImplementation((code) => {
    exitCode = Number(code)
    throw new Exit()
  })
  try {
    await runService(loadConfig, buildApp, { VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_HOST: '127.0.0.1', ...env })
  } catch (err) {
    if (!(err instanceof Exit)) throw err
  } finally {
    vi.restoreAllMocks()
  }
  return { exitCode, stderr }
}

const BAD_CERT = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n'
const BAD_KEY = '-----BEGIN PRIVATE KEY-----\nMIIBtest\n-----END PRIVATE KEY-----\n'

describe('runService stops on a bad setting with a message naming the variable (exit 78), never a stack', () => {
  it('a VAULT_DR_TLS_CERT file that is not PEM: at load', async () => {
    const notPem = file('not-pem.crt', 'garbage\n')
    const key = file('key.pem', pki.server.keyPem)
    const { exitCode, stderr } = await start({ VAULT_DR_TLS_CERT: notPem, VAULT_DR_TLS_KEY: key })
    expect(exitCode).toBe(78)
    expect(stderr).toBe(
      `Invalid configuration:\n  - VAULT_DR_TLS_CERT: ${notPem} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block)\n`,
    )
  })

  it('a certificate OpenSSL cannot read, in VAULT_DR_TLS_CERT', async () => {
    const cert = file('bad-cert.pem', BAD_CERT)
    const { exitCode, stderr } = await start({
      VAULT_DR_TLS_CERT: cert,
      VAULT_DR_TLS_KEY: file('k.pem', pki.server.keyPem),
    })
    expect(exitCode).toBe(78)
    expect(stderr).toMatch(
      new RegExp(`^Invalid configuration:\\n  - VAULT_DR_TLS_CERT: ${cert} holds no usable certificate \\(`),
    )
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('a key OpenSSL cannot read, in VAULT_DR_TLS_KEY', async () => {
    const key = file('bad-key.pem', BAD_KEY)
    const { exitCode, stderr } = await start({
      VAULT_DR_TLS_CERT: file('c.pem', pki.server.certPem),
      VAULT_DR_TLS_KEY: key,
    })
    expect(exitCode).toBe(78)
    expect(stderr).toContain(`  - VAULT_DR_TLS_KEY: ${key} holds no usable private key (`)
  })

  it('a key that is not the certificate’s', async () => {
    const cert = file('c2.pem', pki.server.certPem)
    const key = file('ca-key.pem', pki.ca.keyPem)
    const { exitCode, stderr } = await start({ VAULT_DR_TLS_CERT: cert, VAULT_DR_TLS_KEY: key })
    expect(exitCode).toBe(78)
    expect(stderr).toContain(
      `  - VAULT_DR_TLS_CERT and VAULT_DR_TLS_KEY: ${key} is not the key of the certificate in ${cert} (`,
    )
  })

  it('a VAULT_DR_HOST that does not resolve', async () => {
    // listen() resolves a host name with dns.lookup: answer as getaddrinfo does for an unknown name, so no query
    // leaves the machine and the outcome does not depend on the network.
    const lookup = vi.spyOn(dns, 'lookup').mockImplementation(((hostname: string, ...rest: unknown[]) => {
      const callback = rest.at(-1) as (err: NodeJS.ErrnoException) => void
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
      Object.assign(err, { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname })
      process.nextTick(callback, err)
    }) as typeof dns.lookup)
    const { exitCode, stderr } = await start({ VAULT_DR_HOST: 'no-such-host.invalid', VAULT_DR_PORT: '0' })
    expect(lookup).toHaveBeenCalled()
    expect(new Set(lookup.mock.calls.map(([hostname]) => hostname))).toEqual(new Set(['no-such-host.invalid']))
    expect(exitCode).toBe(78)
    expect(stderr).toBe(
      'Invalid configuration:\n  - VAULT_DR_HOST: no-such-host.invalid is neither an IP address nor a host name that resolves (ENOTFOUND)\n',
    )
  })

  it('a VAULT_DR_PORT in use', async () => {
    const taken = createNetServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as { port: number }
    try {
      const { exitCode, stderr } = await start({ VAULT_DR_PORT: String(port) })
      expect(exitCode).toBe(78)
      expect(stderr).toContain(`  - VAULT_DR_PORT: 127.0.0.1:${port} is already in use (EADDRINUSE)`)
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })

  it('a store path under a file (VAULT_DR_STORE=/dev/null/x.sqlite)', async () => {
    const { exitCode, stderr } = await start({ VAULT_DR_STORE: '/dev/null/x.sqlite' })
    expect(exitCode).toBe(78)
    expect(stderr).toBe(
      'Invalid configuration:\n  - VAULT_DR_STORE: cannot use /dev/null/x.sqlite: /dev/null is not a directory (EEXIST)\n',
    )
  })

  it('rethrows what no setting explains: a bug keeps its stack', async () => {
    const bug = new Error('a bug')
    await expect(
      runService(loadConfig, async () => Promise.reject(bug), { VAULT_DR_API_TOKEN: API_TOKEN }),
    ).rejects.toBe(bug)
  })
})
