import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LogCapture } from '@vault-dr/core'
import { expect } from 'vitest'
import { buildApp, type GatewayDeps } from '../../src/app.ts'
import { type GatewayConfig, loadGatewayConfig } from '../../src/config.ts'
import type { Handshake } from '../../src/handshakes/handshakes.schemas.ts'

export const API_TOKEN = 'gateway-api-token-0123456789'
export const AUTH = { authorization: `Bearer ${API_TOKEN}` }
export const PRIMARY_AGENT_TOKEN = 'primary-agent-token-S3CRET-a1b2c3'
export const SECONDARY_AGENT_TOKEN = 'secondary-agent-token-S3CRET-d4e5f6'

export { LogCapture }

export function tempDir(prefix = 'vault-dr-gateway-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Every byte the store wrote: the database and its WAL and shared-memory files. */
export function storeBytes(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name)).toString('latin1'))
    .join('\n')
}

export function gatewayConfig(storePath: string, env: Record<string, string> = {}): GatewayConfig {
  return loadGatewayConfig({
    VAULT_DR_API_TOKEN: API_TOKEN,
    VAULT_DR_STORE: storePath,
    VAULT_DR_LOG_LEVEL: 'info',
    VAULT_DR_VERIFY_TIMEOUT_MS: '5000',
    VAULT_DR_GATEWAY_ID: 'gateway-under-test',
    ...env,
  })
}

export async function startGateway(storePath: string, deps: GatewayDeps = {}, env: Record<string, string> = {}) {
  const logs = new LogCapture()
  const app = await buildApp(gatewayConfig(storePath, env), { logStream: logs, ...deps })
  await app.ready()
  return { app, logs }
}

type App = Awaited<ReturnType<typeof startGateway>>['app']

export async function register(
  app: App,
  name: string,
  role: 'primary' | 'secondary',
  agentUrl: string,
  agentToken: string,
): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/clusters',
    headers: AUTH,
    payload: { name, role, agent_url: agentUrl, agent_token: agentToken },
  })
  expect([200, 201], res.body).toContain(res.statusCode)
}

export async function registerPair(
  app: App,
  primaryUrl = 'http://primary-agent:8410',
  secondaryUrl = 'http://secondary-agent:8420',
) {
  await register(app, 'dc1', 'primary', primaryUrl, PRIMARY_AGENT_TOKEN)
  await register(app, 'dc2', 'secondary', secondaryUrl, SECONDARY_AGENT_TOKEN)
}

export async function createHandshake(
  app: App,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/v1/handshakes',
    headers: { ...AUTH, ...headers },
    payload: { primary: 'dc1', secondary: 'dc2', ...body },
  })
}

export async function getHandshake(app: App, id: string): Promise<Handshake> {
  const res = await app.inject({ method: 'GET', url: `/v1/handshakes/${id}`, headers: AUTH })
  expect(res.statusCode, res.body).toBe(200)
  return res.json<Handshake>()
}

/** Polls until the handshake reaches one of `states`. */
export async function waitFor(app: App, id: string, states = ['succeeded', 'failed', 'cancelled'], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const hs = await getHandshake(app, id)
    if (states.includes(hs.state)) return hs
    if (Date.now() > deadline) throw new Error(`handshake ${id} still ${hs.state}: ${JSON.stringify(hs.steps)}`)
    await sleep(20)
  }
}

export const stepStatuses = (hs: Handshake) => Object.fromEntries(hs.steps.map((s) => [s.name, s.status]))

/** Polls until `check` holds (no fixed sleeps in tests). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
