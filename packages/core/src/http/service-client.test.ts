import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeServer, listenLocal, trackSockets } from '../../test/helpers/net.ts'
import { createServiceClient } from './service-client.ts'

// A small service with the shapes openapi-fetch meets: JSON, an empty 204, a problem, a slow answer.
interface paths {
  '/v1/things': {
    post: {
      requestBody: { content: { 'application/json': { name: string } } }
      responses: {
        201: { content: { 'application/json': { name: string; token_seen: boolean } } }
        400: { content: { 'application/problem+json': { code: string; detail: string } } }
      }
    }
  }
  '/v1/things/{name}': {
    delete: { parameters: { path: { name: string } }; responses: { 204: { content?: never } } }
  }
  '/v1/slow': { get: { responses: { 200: { content: { 'application/json': { ok: boolean } } } } } }
}

const TOKEN = 'service-client-token-0123456789'

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const tokenSeen = req.headers.authorization === `Bearer ${TOKEN}`
  if (req.method === 'POST' && req.url === '/v1/things') {
    const { name } = JSON.parse(body) as { name: string }
    if (/^[a-z]+$/.test(name)) {
      res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] })
      res.end(JSON.stringify({ name, token_seen: tokenSeen }))
    } else {
      res.writeHead(400, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify({ code: 'BAD_NAME', detail: 'name: lowercase letters only' }))
    }
  } else if (req.method === 'DELETE' && req.url?.startsWith('/v1/things/')) {
    res.writeHead(204)
    res.end()
  } else if (req.url !== '/v1/slow') {
    // /v1/slow never answers
    res.writeHead(404)
    res.end()
  }
}

let server: Server
let sockets: ReturnType<typeof trackSockets>
let baseUrl: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString()))
  })
  sockets = trackSockets(server)
  baseUrl = `http://127.0.0.1:${await listenLocal(server)}`
})
afterAll(async () => {
  await closeServer(server, sockets)
})

describe('createServiceClient', () => {
  it('sends the JSON body and the bearer token, and reads the JSON answer with its headers', async () => {
    const client = createServiceClient<paths>({ baseUrl, token: TOKEN })
    const { data, response } = await client.api.POST('/v1/things', { body: { name: 'abc' } })
    expect(response.status).toBe(201)
    expect(data).toEqual({ name: 'abc', token_seen: true })
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    await client.close()
  })

  it('gives a problem answer as the error, with its status', async () => {
    const client = createServiceClient<paths>({ baseUrl, token: TOKEN })
    const { data, error, response } = await client.api.POST('/v1/things', { body: { name: 'A-1' } })
    expect(response.status).toBe(400)
    expect(data).toBeUndefined()
    expect(error).toEqual({ code: 'BAD_NAME', detail: 'name: lowercase letters only' })
    await client.close()
  })

  it('reads an empty 204', async () => {
    const client = createServiceClient<paths>({ baseUrl, token: TOKEN })
    const { response, error } = await client.api.DELETE('/v1/things/{name}', { params: { path: { name: 'abc' } } })
    expect(response.status).toBe(204)
    expect(error).toBeUndefined()
    await client.close()
  })

  it('gives up on a service that never answers at timeoutMs, or sooner at the signal of the call', async () => {
    const client = createServiceClient<paths>({ baseUrl, token: TOKEN, timeoutMs: 300 })
    try {
      let started = performance.now()
      await expect(client.api.GET('/v1/slow')).rejects.toThrow()
      expect(performance.now() - started).toBeGreaterThanOrEqual(250)
      expect(performance.now() - started).toBeLessThan(2_000)
      // The call's own signal ends it, not timeoutMs: the call rejects with that signal's reason, not a timeout.
      const giveUp = new AbortController()
      const reason = new Error('the caller gave up')
      setTimeout(() => giveUp.abort(reason), 50)
      started = performance.now()
      await expect(client.api.GET('/v1/slow', { signal: giveUp.signal })).rejects.toBe(reason)
      expect(performance.now() - started).toBeLessThan(2_000)
    } finally {
      await client.close()
    }
  })
})
