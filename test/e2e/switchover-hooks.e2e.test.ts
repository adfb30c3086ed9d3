import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from '../../packages/core/test/helpers/certs.ts'
import { closeServer, listenLocal, trackSockets } from '../../packages/core/test/helpers/net.ts'
import { loadGatewayConfig } from '../../services/gateway/src/config.ts'
import { callHook, type HookPayload } from '../../services/gateway/src/hooks/call-hook.ts'
import { runPostHook, runPreHook } from '../../services/gateway/src/hooks/hook-step.ts'

/** The hooks' settings as the gateway reads them from its environment. */
function loadHookSettings(env: Record<string, string>) {
  const config = loadGatewayConfig({ VAULT_DR_API_TOKEN: 'hooks-test-api-token', VAULT_DR_STORE: ':memory:', ...env })
  if (config.handshakes.hooks === undefined) throw new Error('the gateway configuration has no hook settings')
  return config.handshakes.hooks
}

const payload: HookPayload = {
  operation_id: 'op-1',
  kind: 'switchover',
  step: 'pre_hook',
  phase: 'pre',
  clusters: ['dc1', 'dc2'],
  from: 'dc1',
  to: 'dc2',
}

let pki: TestPki
let server: Server
let sockets: ReturnType<typeof trackSockets>
let base: string
let caFile: string
let dir: string
const received: Array<{ url: string | undefined; body: unknown; type: string | undefined }> = []

function handle(req: IncomingMessage, res: ServerResponse) {
  let text = ''
  req.on('data', (c: Buffer) => {
    text += c.toString()
  })
  req.on('end', () => {
    received.push({ url: req.url, body: JSON.parse(text), type: req.headers['content-type'] })
    if (req.url === '/ok') res.writeHead(204).end()
    else if (req.url === '/no') res.writeHead(409, { 'content-type': 'text/plain' }).end('change freeze until 06:00')
    else if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end()
    // /slow never answers
  })
}

beforeAll(async () => {
  pki = await createTestPki()
  server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, handle)
  sockets = trackSockets(server)
  base = `https://127.0.0.1:${await listenLocal(server)}`
  dir = await mkdtemp(join(tmpdir(), 'vault-dr-hooks-'))
  caFile = join(dir, 'ca.pem')
  await writeFile(caFile, pki.ca.certPem)
})

afterAll(async () => {
  await closeServer(server, sockets)
  await rm(dir, { recursive: true, force: true })
})

describe('switchover hooks over HTTPS, on loopback (a server with a certificate of a CA made here)', () => {
  it('POST the payload as JSON to a hook whose certificate VAULT_DR_HOOK_CACERT trusts', async () => {
    const settings = loadHookSettings({ VAULT_DR_HOOK_CACERT: caFile, VAULT_DR_HOOK_TIMEOUT_MS: '2000' })
    const answer = await callHook(`${base}/ok`, payload, settings)
    expect(answer.status).toBe(204)
    expect(received.at(-1)).toEqual({ url: '/ok', body: payload, type: 'application/json' })
  })

  it('refuse a hook whose certificate nothing trusts (the system roots do not hold the test CA)', async () => {
    const err = await callHook(`${base}/ok`, payload, loadHookSettings({})).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_HOOK_UNREACHABLE' })
  })

  it('a pre-hook saying no stops (its answer quoted), one that is silent times out; redirects are refusals', async () => {
    const settings = loadHookSettings({ VAULT_DR_HOOK_CACERT: caFile, VAULT_DR_HOOK_TIMEOUT_MS: '300' })
    const signal = new AbortController().signal
    const no = await runPreHook({ url: `${base}/no`, payload, settings, signal }).catch((e: unknown) => e)
    expect(no).toMatchObject({ code: 'GATEWAY_ERR_HOOK_REFUSED' })
    expect((no as Error).message).toContain('409: change freeze until 06:00')
    const slow = await runPreHook({ url: `${base}/slow`, payload, settings, signal }).catch((e: unknown) => e)
    expect(slow).toMatchObject({ code: 'GATEWAY_ERR_HOOK_TIMEOUT' })
    const moved = await runPreHook({ url: `${base}/redirect`, payload, settings, signal }).catch((e: unknown) => e)
    expect(moved).toMatchObject({ code: 'GATEWAY_ERR_HOOK_REFUSED' })
  })

  it('a post-hook failure is a warning: the step succeeds and says so', async () => {
    const settings = loadHookSettings({ VAULT_DR_HOOK_CACERT: caFile, VAULT_DR_HOOK_TIMEOUT_MS: '300' })
    const warnings: string[] = []
    const result = await runPostHook(
      { url: `${base}/no`, payload: { ...payload, phase: 'post' }, settings, signal: new AbortController().signal },
      async (text) => {
        warnings.push(text)
      },
    )
    expect(result.status).toBe('succeeded')
    expect(result.detail).toContain('warning: post-hook: GATEWAY_ERR_HOOK_REFUSED')
    expect(warnings).toHaveLength(1)
  })
})
