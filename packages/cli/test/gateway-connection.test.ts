import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTestPki } from '../../core/test/helpers/certs.ts'
import { runCli } from '../src/main.ts'
import { capture, startStandInGateway } from './stand-in-gateway.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('a gateway the CLI cannot talk to: the fix names the CLI variable to set, never a Node flag', () => {
  let https: Server
  let httpsUrl = ''
  let caFile = ''
  let dir = ''
  let plain: Awaited<ReturnType<typeof startStandInGateway>>
  beforeAll(async () => {
    const pki = await createTestPki()
    dir = mkdtempSync(join(tmpdir(), 'vault-dr-cli-tls-'))
    caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, pki.ca.certPem)
    https = createHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ clusters: [] }))
    })
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
    httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`
    plain = await startStandInGateway({ 'GET /v1/clusters': () => ({ status: 200, body: { clusters: [] } }) })
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => https.close(() => resolve()))
    await plain.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const json = (text: string) => JSON.parse(text.trim().split('\n').at(-1) ?? '')

  it('an untrusted certificate: VAULT_DR_GATEWAY_CACERT, exit 4; with it set, the call works', async () => {
    const io = capture()
    const env = { VAULT_DR_GATEWAY_ADDR: httpsUrl, VAULT_DR_API_TOKEN: 'gateway-token' }
    expect(await runCli(['clusters', 'list', '--json'], env)).toBe(4)
    const report = json(io.out())
    expect(report.code).toBe('CLI_ERR_GATEWAY_TLS')
    expect(report.fix).toContain('Set VAULT_DR_GATEWAY_CACERT')
    expect(JSON.stringify(report)).not.toContain('--use-system-ca')
    expect(await runCli(['clusters', 'list', '--json'], { ...env, VAULT_DR_GATEWAY_CACERT: caFile })).toBe(0)
    expect(json(io.out())).toEqual([])
  })

  it('http:// to an HTTPS gateway, and https:// to a plain one: the scheme to use', async () => {
    const io = capture()
    const toHttps = { VAULT_DR_GATEWAY_ADDR: httpsUrl.replace('https:', 'http:'), VAULT_DR_API_TOKEN: 'gateway-token' }
    expect(await runCli(['clusters', 'list', '--json'], toHttps)).toBe(4)
    expect(json(io.out()).fix).toContain('set VAULT_DR_GATEWAY_ADDR to its https:// address')
    const toPlain = { ...plain.env, VAULT_DR_GATEWAY_ADDR: plain.env.VAULT_DR_GATEWAY_ADDR?.replace('http:', 'https:') }
    expect(await runCli(['clusters', 'list', '--json'], toPlain)).toBe(4)
    expect(json(io.out())).toMatchObject({ code: 'CLI_ERR_GATEWAY_TLS', fix: expect.stringContaining('use http://') })
  })
})
