import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Server } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from '../../test/helpers/certs.ts'
import { closedPort, closeServer, listenLocal, trackSockets } from '../../test/helpers/net.ts'
import { CodedError, isCodedError } from '../errors.ts'
import { VaultClient, type VaultClientOptions } from './vault-client.ts'

interface Hit {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

type Handler = (hit: Hit, res: ServerResponse) => void

/** A local server that answers like Vault, one handler per path (without /v1 and query). */
class FakeVault {
  readonly hits: Hit[] = []
  readonly routes = new Map<string, Handler>()
  readonly server: Server
  readonly #sockets
  port = 0

  constructor(server: ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>) {
    this.server = server
    this.#sockets = trackSockets(server)
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const hit = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        }
        this.hits.push(hit)
        const path = hit.url.split('?')[0]?.replace(/^\/v1\//, '') ?? ''
        const handler = this.routes.get(path)
        if (handler === undefined) return json(res, 404, { errors: [] })
        handler(hit, res)
      })
    })
  }

  async start(): Promise<this> {
    this.port = await listenLocal(this.server)
    return this
  }

  hitsOn(path: string): Hit[] {
    return this.hits.filter((h) => h.url.split('?')[0] === `/v1/${path}`)
  }

  close(): Promise<void> {
    return closeServer(this.server, this.#sockets)
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

/** Answers each call with the next of `answers`, then keeps answering the last. */
function sequence(...answers: Array<[number, unknown]>): Handler {
  let n = 0
  return (_hit, res) => {
    const [status, body] = answers[Math.min(n++, answers.length - 1)] ?? [500, {}]
    json(res, status, body)
  }
}

async function expectCoded(promise: Promise<unknown>, code: string): Promise<CodedError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(CodedError)
    expect((err as CodedError).code).toBe(code)
    return err as CodedError
  }
  throw new Error(`expected ${code}, but the call succeeded`)
}

const TOKEN = 'hvs.test-token'
const clients: VaultClient[] = []
function client(addr: string, opts: Partial<VaultClientOptions> = {}): VaultClient {
  const c = new VaultClient({ addr, token: TOKEN, timeoutMs: 2000, retryBaseMs: 5, ...opts })
  clients.push(c)
  return c
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

describe('VaultClient over HTTP', () => {
  let vault: FakeVault
  let addr: string

  beforeAll(async () => {
    vault = await new FakeVault(createHttpServer()).start()
    addr = `http://127.0.0.1:${vault.port}`
  })
  afterAll(async () => {
    await vault.close()
  })
  afterEach(() => {
    vault.routes.clear()
    vault.hits.length = 0
  })

  it('parses a success envelope: data, warnings and wrap_info', async () => {
    const wrapInfo = {
      token: 'hvs.wrapped',
      accessor: 'acc-1',
      ttl: 1800,
      creation_time: '2025-01-01T00:00:00Z',
      creation_path: 'sys/replication/dr/primary/secondary-token',
    }
    vault.routes.set(
      'sys/replication/dr/primary/secondary-token',
      sequence([200, { request_id: 'r-1', data: null, warnings: ['mind the gap'], wrap_info: wrapInfo, extra: 7 }]),
    )
    vault.routes.set('sys/replication/status', sequence([200, { data: { dr: { mode: 'primary' } }, warnings: null }]))

    const c = client(`${addr}/`)
    const wrapped = await c.write('sys/replication/dr/primary/secondary-token', { id: 'dr-east' })
    expect(wrapped.status).toBe(200)
    expect(wrapped.body?.wrap_info).toEqual(wrapInfo)
    expect(wrapped.body?.warnings).toEqual(['mind the gap'])
    expect(wrapped.body?.request_id).toBe('r-1')
    expect(wrapped.body?.extra).toBe(7)

    const status = await c.read('/sys/replication/status', { query: { format: 'json' } })
    expect(status).toEqual({ status: 200, body: { data: { dr: { mode: 'primary' } }, warnings: null } })

    const [post, get] = vault.hits
    expect(post).toMatchObject({ method: 'POST', url: '/v1/sys/replication/dr/primary/secondary-token' })
    expect(post?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(post?.body ?? '')).toEqual({ id: 'dr-east' })
    expect(get).toMatchObject({ method: 'GET', url: '/v1/sys/replication/status?format=json', body: '' })
  })

  it('answers an empty 204 with no body', async () => {
    vault.routes.set('sys/seal', (_hit, res) => {
      res.writeHead(204)
      res.end()
    })
    expect(await client(addr).write('sys/seal')).toEqual({ status: 204, body: undefined })
  })

  it('sends X-Vault-Token, another token when asked, and none with token: null', async () => {
    vault.routes.set('sys/health', sequence([200, {}]))
    const c = client(addr)
    await c.read('sys/health')
    await c.read('sys/health', { token: 'hvs.other' })
    await c.read('sys/health', { token: null })
    await client(addr, { token: undefined }).read('sys/health')
    expect(vault.hits.map((h) => h.headers['x-vault-token'])).toEqual([TOKEN, 'hvs.other', undefined, undefined])
    expect(vault.hits.every((h) => h.headers.accept === 'application/json')).toBe(true)
  })

  it('turns {"errors": [...]} 400 into VAULT_ERR_REJECTED, keeping what Vault said', async () => {
    vault.routes.set('sys/thing', sequence([400, { errors: ['missing client token', 'second message'] }]))
    const err = await expectCoded(client(addr).write('sys/thing', {}), 'VAULT_ERR_REJECTED')
    expect(err.upstream).toEqual({ service: 'vault', status: 400, errors: ['missing client token', 'second message'] })
    expect(err.message).toContain('POST /v1/sys/thing')
    expect(err.message).toContain('missing client token')
    expect(err.message).not.toContain(TOKEN)
    expect(vault.hits).toHaveLength(1)
  })

  it.each([
    [403, ['permission denied'], 'VAULT_ERR_PERMISSION_DENIED'],
    [404, ['enterprise-only feature'], 'VAULT_ERR_ENTERPRISE_ONLY'],
    [400, ['path disabled in replication DR secondary mode'], 'VAULT_ERR_DR_SECONDARY'],
    [400, ['wrapping token is not valid or does not exist'], 'VAULT_ERR_WRAPPING_TOKEN_INVALID'],
    [400, ['error validating wrapping token: token expired'], 'VAULT_ERR_WRAPPING_TOKEN_INVALID'],
    [503, ['Vault is sealed'], 'VAULT_ERR_SEALED'],
    [503, [], 'VAULT_ERR_SEALED'],
    [500, ['internal error'], 'VAULT_ERR_FAILED'],
  ])('turns a %i with %j into %s', async (status, errors, code) => {
    vault.routes.set('sys/x', sequence([status, { errors }]))
    const err = await expectCoded(client(addr, { retries: 0 }).write('sys/x'), code)
    expect(err.upstream).toEqual({ service: 'vault', status, errors })
  })

  it('classifies an error page that is not JSON by its status', async () => {
    vault.routes.set('sys/x', (_hit, res) => {
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html>Bad Gateway</html>')
    })
    const err = await expectCoded(client(addr).write('sys/x'), 'VAULT_ERR_FAILED')
    expect(err.upstream).toEqual({ service: 'vault', status: 502, errors: [] })
  })

  it('returns the body of an accepted status instead of throwing', async () => {
    const health = { initialized: true, sealed: false, standby: true, replication_dr_mode: 'secondary' }
    vault.routes.set('sys/health', sequence([472, health]))
    const c = client(addr)
    expect(await c.read('sys/health', { accept: [429, 472, 473, 503] })).toEqual({ status: 472, body: health })
    await expectCoded(c.read('sys/health'), 'VAULT_ERR_REJECTED')
  })

  it('rejects a 200 that is not JSON (an HTML page) as VAULT_ERR_BAD_RESPONSE', async () => {
    vault.routes.set('sys/health', (_hit, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><html><body>Welcome to nginx!</body></html>')
    })
    const err = await expectCoded(client(addr).read('sys/health'), 'VAULT_ERR_BAD_RESPONSE')
    expect(err.message).toContain('GET /v1/sys/health')
  })

  it('rejects JSON that is not a Vault envelope as VAULT_ERR_BAD_RESPONSE', async () => {
    vault.routes.set('sys/a', sequence([200, ['not', 'an', 'object']]))
    vault.routes.set('sys/b', sequence([200, { data: 'not a map' }]))
    await expectCoded(client(addr).read('sys/a'), 'VAULT_ERR_BAD_RESPONSE')
    await expectCoded(client(addr).read('sys/b'), 'VAULT_ERR_BAD_RESPONSE')
  })

  describe('retries', () => {
    it('retries a GET after a 412, then succeeds', async () => {
      vault.routes.set('sys/replication/status', sequence([412, { errors: ['not yet'] }], [200, { data: { ok: 1 } }]))
      const res = await client(addr).read('sys/replication/status')
      expect(res.body?.data).toEqual({ ok: 1 })
      expect(vault.hitsOn('sys/replication/status')).toHaveLength(2)
    })

    it('retries a GET while Vault is sealed, up to `retries` extra times', async () => {
      vault.routes.set('sys/x', sequence([503, { errors: ['Vault is sealed'] }]))
      await expectCoded(client(addr, { retries: 3 }).read('sys/x'), 'VAULT_ERR_SEALED')
      expect(vault.hits).toHaveLength(4)
    })

    it('does not retry a POST after a 500', async () => {
      vault.routes.set('sys/x', sequence([500, { errors: ['boom'] }], [200, {}]))
      await expectCoded(client(addr).write('sys/x', { a: 1 }), 'VAULT_ERR_FAILED')
      expect(vault.hits).toHaveLength(1)
    })

    it('does not retry a POST to a sealed Vault unless it is idempotent', async () => {
      vault.routes.set('sys/x', sequence([503, { errors: ['Vault is sealed'] }], [200, {}]))
      await expectCoded(client(addr).write('sys/x'), 'VAULT_ERR_SEALED')
      expect(vault.hits).toHaveLength(1)
      vault.hits.length = 0
      vault.routes.set('sys/y', sequence([503, { errors: ['Vault is sealed'] }], [200, {}]))
      expect((await client(addr).write('sys/y', {}, { idempotent: true })).status).toBe(200)
      expect(vault.hits).toHaveLength(2)
    })

    it('retries a POST after a 412', async () => {
      vault.routes.set('sys/x', sequence([412, { errors: ['wait'] }], [200, { data: { done: true } }]))
      const res = await client(addr).write('sys/x', { a: 1 })
      expect(res.body?.data).toEqual({ done: true })
      expect(vault.hits).toHaveLength(2)
      expect(vault.hits.map((h) => h.body)).toEqual(['{"a":1}', '{"a":1}'])
    })

    it('does not repeat a POST after a 503 that is not "sealed" (the work may have started)', async () => {
      vault.routes.set('sys/replication/dr/secondary/enable', sequence([503, { errors: ['upstream busy'] }], [200, {}]))
      await expectCoded(
        client(addr).write('sys/replication/dr/secondary/enable', { token: 't' }),
        'VAULT_ERR_NOT_READY',
      )
      expect(vault.hits).toHaveLength(1)
    })

    it('gives up after `retries` extra attempts with VAULT_ERR_NOT_READY', async () => {
      vault.routes.set('sys/x', sequence([429, { errors: ['standby'] }]))
      await expectCoded(client(addr, { retries: 2 }).read('sys/x'), 'VAULT_ERR_NOT_READY')
      expect(vault.hits).toHaveLength(3)
    })
  })

  it('tells onCall the method, path and status of each call', async () => {
    vault.routes.set('sys/x', sequence([412, {}], [200, {}]))
    vault.routes.set('sys/y', sequence([400, { errors: ['no'] }]))
    const calls: Array<{ method: string; path: string; status: number | 'error'; seconds: number }> = []
    const c = client(addr, { onCall: (call) => calls.push(call) })
    await c.read('sys/x')
    await c.write('sys/y').catch(() => {})
    expect(calls.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'GET', path: 'sys/x', status: 412 },
      { method: 'GET', path: 'sys/x', status: 200 },
      { method: 'POST', path: 'sys/y', status: 400 },
    ])
    for (const call of calls) expect(call.seconds).toBeGreaterThanOrEqual(0)
  })

  it('times out a Vault that never answers with VAULT_ERR_TIMEOUT, within about timeoutMs', async () => {
    vault.routes.set('sys/hang', () => {})
    const calls: Array<number | 'error'> = []
    const c = client(addr, { timeoutMs: 200, onCall: (call) => calls.push(call.status) })
    const started = performance.now()
    const err = await expectCoded(c.read('sys/hang'), 'VAULT_ERR_TIMEOUT')
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(180)
    expect(elapsed).toBeLessThan(5_000)
    expect(err.upstream?.service).toBe('vault')
    expect(err.message).toContain(addr)
    expect(calls).toEqual(['error'])
    // A timeout is not retried: Vault may still be working on the first call.
    expect(vault.hitsOn('sys/hang')).toHaveLength(1)
  })

  it('times out a Vault that stops in the middle of its answer with VAULT_ERR_TIMEOUT, not a reset', async () => {
    vault.routes.set('sys/half', (_hit, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"data": {')
    })
    const c = client(addr, { timeoutMs: 200 })
    const err = await expectCoded(c.read('sys/half'), 'VAULT_ERR_TIMEOUT')
    expect(err.upstream?.code).toBe('TimeoutError')
  })
})

describe('VaultClient transport failures', () => {
  it('reports a refused connection as VAULT_ERR_UNREACHABLE with ECONNREFUSED', async () => {
    const port = await closedPort()
    const calls: Array<number | 'error'> = []
    const c = client(`http://127.0.0.1:${port}`, { retries: 1, onCall: (call) => calls.push(call.status) })
    const err = await expectCoded(c.read('sys/health'), 'VAULT_ERR_UNREACHABLE')
    expect(err.upstream).toEqual({ service: 'vault', code: 'ECONNREFUSED' })
    expect(err.fix).toContain('VAULT_ADDR')
    expect(calls).toEqual(['error', 'error'])
    expect(isCodedError(err, 'VAULT_ERR_UNREACHABLE')).toBe(true)
  })
})

describe('VaultClient over HTTPS', () => {
  let pki: TestPki
  let vault: FakeVault
  let addr: string

  beforeAll(async () => {
    pki = await createTestPki()
    vault = await new FakeVault(createHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem })).start()
    vault.routes.set('sys/health', sequence([200, { data: { initialized: true } }]))
    addr = `https://127.0.0.1:${vault.port}`
  })
  afterAll(async () => {
    await vault.close()
  })

  it('refuses a certificate it cannot verify with VAULT_ERR_TLS', async () => {
    const err = await expectCoded(client(addr).read('sys/health'), 'VAULT_ERR_TLS')
    expect(err.upstream?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    expect(err.fix).toContain('VAULT_CACERT')
  })

  it('trusts the server when given its CA', async () => {
    const res = await client(addr, { caPem: pki.ca.certPem }).read('sys/health')
    expect(res).toEqual({ status: 200, body: { data: { initialized: true } } })
  })

  it('skips verification when told to', async () => {
    const res = await client(addr, { skipVerify: true }).read('sys/health')
    expect(res.status).toBe(200)
  })

  it('refuses a CA that did not sign the server certificate', async () => {
    const other = await createTestPki()
    await expectCoded(client(addr, { caPem: other.ca.certPem }).read('sys/health'), 'VAULT_ERR_TLS')
  })
})
