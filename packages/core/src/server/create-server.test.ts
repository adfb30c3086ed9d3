import type { AddressInfo } from 'node:net'
import { Agent, Client, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp } from '../../test/helpers/app.ts'
import { createTestPki } from '../../test/helpers/certs.ts'
import type { App } from './create-server.ts'

interface OpenApiDoc {
  openapi: string
  info: { title: string; version: string; description: string }
  tags: Array<{ name: string }>
  paths: Record<
    string,
    Record<string, { operationId?: string; security?: unknown[]; responses: Record<string, unknown> }>
  >
  components: { schemas: Record<string, { type?: string; required?: string[] }>; securitySchemes: object }
  security: unknown[]
}

let app: App
beforeAll(async () => {
  ;({ app } = await buildTestApp())
  await app.ready()
})
afterAll(async () => {
  await app.close()
})

/** The value of a Prometheus sample whose labels include all of `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line)
    if (match?.[1] !== name) continue
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3])
  }
  return undefined
}

describe('/metrics', () => {
  it('counts requests by method, route pattern and status, in Prometheus text', async () => {
    const before = await app.inject({ method: 'GET', url: '/metrics' })
    const labels = { method: 'POST', route: '/v1/things', status_code: '201', service: 'test-svc' }
    const countBefore = sample(before.body, 'vault_dr_http_requests_total', labels) ?? 0
    const unauthorizedBefore =
      sample(before.body, 'vault_dr_http_requests_total', { route: '/v1/things', status_code: '401' }) ?? 0
    const durationLabels = { method: 'POST', route: '/v1/things' }
    const observedBefore = sample(before.body, 'vault_dr_http_request_duration_seconds_count', durationLabels) ?? 0

    for (const name of ['abc', 'def']) {
      const res = await app.inject({ method: 'POST', url: '/v1/things', headers: AUTH, payload: { name, count: 1 } })
      expect(res.statusCode).toBe(201)
    }
    await app.inject({ method: 'POST', url: '/v1/things', payload: { name: 'abc', count: 1 } })

    const res = await app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.body).toMatch(/^# HELP /)
    expect(res.body).toContain('# TYPE vault_dr_http_requests_total counter')
    expect(sample(res.body, 'vault_dr_http_requests_total', labels)).toBe(countBefore + 2)
    expect(sample(res.body, 'vault_dr_http_requests_total', { route: '/v1/things', status_code: '401' })).toBe(
      unauthorizedBefore + 1,
    )
    expect(sample(res.body, 'vault_dr_http_request_duration_seconds_count', durationLabels)).toBe(observedBefore + 3)
  })

  it('labels unknown paths as one "unmatched" route, so scanners cannot blow up the label set', async () => {
    const labels = { route: 'unmatched', status_code: '404' }
    const before = (await app.inject({ method: 'GET', url: '/metrics' })).body
    await app.inject({ method: 'GET', url: '/random-1' })
    await app.inject({ method: 'GET', url: '/random-2' })
    const body = (await app.inject({ method: 'GET', url: '/metrics' })).body
    expect(sample(body, 'vault_dr_http_requests_total', labels)).toBe(
      (sample(before, 'vault_dr_http_requests_total', labels) ?? 0) + 2,
    )
    expect(body).not.toContain('random-1')
  })

  it('keeps each app in its own registry', async () => {
    const { app: other } = await buildTestApp({ name: 'other-svc' })
    try {
      const body = (await other.inject({ method: 'GET', url: '/metrics' })).body
      expect(body).toContain('service="other-svc"')
      expect(body).not.toContain('service="test-svc"')
      expect(sample(body, 'vault_dr_http_requests_total', { route: '/v1/things' })).toBeUndefined()
    } finally {
      await other.close()
    }
  })
})

describe('/docs/json', () => {
  let doc: OpenApiDoc
  beforeAll(async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' })
    expect(res.statusCode).toBe(200)
    doc = res.json<OpenApiDoc>()
  })

  it('is an OpenAPI 3.1.0 document describing the service', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toEqual({ title: 'test-svc', version: '1.2.3', description: 'A service for tests' })
    expect(doc.tags.map((t) => t.name)).toEqual(['monitoring', 'things'])
    expect(doc.security).toEqual([{ bearerAuth: [] }])
    expect(doc.components.securitySchemes).toMatchObject({ bearerAuth: { type: 'http', scheme: 'bearer' } })
  })

  it('has the test route with its operationId, body and responses', () => {
    const op = doc.paths['/v1/things']?.post
    expect(op?.operationId).toBe('createThing')
    const json = JSON.stringify(op)
    expect(json).toContain('"pattern":"^[a-z]+$"')
    expect(json).toContain('"type":"integer"')
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['201', '400', '401', '429', '500'])
    expect(JSON.stringify(op?.responses['400'])).toContain('"$ref":"#/components/schemas/Problem"')
  })

  it('defines the Problem schema once, in components', () => {
    const problem = doc.components.schemas.Problem
    expect(problem?.type).toBe('object')
    expect(problem?.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'instance']))
  })

  it('lists the open monitoring routes without security', () => {
    for (const [path, operationId] of [
      ['/healthz', 'getLiveness'],
      ['/readyz', 'getReadiness'],
      ['/metrics', 'getMetrics'],
    ] as const) {
      expect(doc.paths[path]?.get).toMatchObject({ operationId, security: [] })
    }
  })
})

describe('every answer', () => {
  it('carries an x-request-id header', async () => {
    for (const url of ['/healthz', '/metrics', '/nowhere']) {
      const res = await app.inject({ method: 'GET', url })
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    }
  })
})

describe('HTTPS', () => {
  it('serves HTTPS with the configured certificate, which clients trusting its CA accept', async () => {
    const pki = await createTestPki()
    const { app: tlsApp } = await buildTestApp({ tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem } })
    try {
      await tlsApp.listen({ host: '127.0.0.1', port: 0 })
      const { port } = tlsApp.server.address() as AddressInfo
      const trusted = new Agent({ connect: { ca: pki.ca.certPem } })
      const res = await request(`https://127.0.0.1:${port}/healthz`, { dispatcher: trusted })
      expect(res.statusCode).toBe(200)
      await res.body.dump()
      await trusted.close()
      // Not a CA the client trusts (the system roots): refused, so the certificate is really the one served.
      await expect(request(`https://127.0.0.1:${port}/healthz`)).rejects.toThrow(/certificate/i)
    } finally {
      await tlsApp.close()
    }
  })
})

describe('while shutting down', () => {
  it('answers new requests 503 problem+json CORE_ERR_SHUTTING_DOWN, readiness 503 not_ready, liveness 200', async () => {
    const { app: closing } = await buildTestApp()
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let arrivals = 0
    closing.get('/v1/slow', async () => {
      arrivals++
      await released
      return { done: true }
    })
    let closeStarted!: () => void
    const started = new Promise<void>((resolve) => {
      closeStarted = resolve
    })
    closing.addHook('preClose', (done) => {
      closeStarted()
      done()
    })
    await closing.listen({ host: '127.0.0.1', port: 0 })
    const { port } = closing.server.address() as AddressInfo
    // One kept-alive connection per probe, each busy with a request in flight, so close() keeps it open; a probe is
    // pipelined behind that request once closing started (its answer says `connection: close`, ending the connection).
    const paths = ['/v1/things/abc', '/nowhere', '/readyz', '/healthz']
    const clients = paths.map(() => new Client(`http://127.0.0.1:${port}`, { pipelining: 2 }))
    try {
      const slow = clients.map((c) => c.request({ method: 'GET', path: '/v1/slow', headers: AUTH }))
      while (arrivals < clients.length) await new Promise((resolve) => setTimeout(resolve, 5))
      const closed = closing.close()
      await started
      const probes = clients.map((c, i) =>
        c.request({ method: 'GET', path: paths[i] as string }).then(async (res) => ({
          status: res.statusCode,
          type: res.headers['content-type'],
          body: (await res.body.json()) as Record<string, unknown>,
        })),
      )
      release()
      for (const res of await Promise.all(slow)) {
        expect(res.statusCode).toBe(200)
        await res.body.dump()
      }
      const [thing, unknown, ready, live] = await Promise.all(probes)
      for (const res of [thing, unknown]) {
        expect(res?.status).toBe(503)
        expect(res?.type).toBe('application/problem+json')
        expect(res?.body).toMatchObject({
          status: 503,
          code: 'CORE_ERR_SHUTTING_DOWN',
          title: 'The service is shutting down',
          fix: 'Retry against another instance or after restart.',
        })
      }
      expect(ready?.status).toBe(503)
      expect(ready?.body).toEqual({
        status: 'not_ready',
        checks: [{ name: 'shutdown', ok: false, detail: 'the service is shutting down', latency_ms: 0 }],
      })
      expect(live?.status).toBe(200)
      expect(live?.body).toMatchObject({ status: 'ok', service: 'test-svc' })
      await closed
    } finally {
      release()
      await Promise.all(clients.map((c) => c.close()))
    }
  })
})
