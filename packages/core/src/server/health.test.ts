import Fastify from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { afterEach, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../test/helpers/app.ts'
import type { App } from './create-server.ts'
import { type CheckResult, health, type ReadinessCheck } from './health.ts'

interface Readiness {
  status: 'ready' | 'not_ready'
  checks: Array<{ name: string; ok: boolean; detail: string; latency_ms: number }>
}

const pass: ReadinessCheck = async () => ({ ok: true, detail: 'fine' })
const fail: ReadinessCheck = async () => ({ ok: false, detail: 'vault is sealed' })
const hang: ReadinessCheck = () => new Promise<CheckResult>(() => {})

const apps: Array<{ close(): Promise<unknown> }> = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})

async function appWith(readiness: Record<string, ReadinessCheck>): Promise<App> {
  const { app } = await buildTestApp({ readiness })
  apps.push(app)
  return app
}

describe('/healthz', () => {
  it('answers 200 without a token, from memory', async () => {
    const app = await appWith({ vault: fail })
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toEqual({ status: 'ok', service: 'test-svc', version: '1.2.3', uptime_s: expect.any(Number) })
    expect(body.uptime_s).toBeGreaterThanOrEqual(0)
  })
})

describe('/readyz', () => {
  it('answers 200 ready with every named check when all pass', async () => {
    const app = await appWith({ vault: pass, peer: async () => ({ ok: true, detail: 'reachable' }) })
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    expect(res.statusCode).toBe(200)
    const body = res.json<Readiness>()
    expect(body.status).toBe('ready')
    expect(body.checks).toEqual([
      { name: 'vault', ok: true, detail: 'fine', latency_ms: expect.any(Number) },
      { name: 'peer', ok: true, detail: 'reachable', latency_ms: expect.any(Number) },
    ])
  })

  it('answers 200 ready with no checks at all', async () => {
    const app = await appWith({})
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ready', checks: [] })
  })

  it('answers 503 not_ready when one check fails, naming it', async () => {
    const app = await appWith({ vault: fail, peer: pass })
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    expect(res.statusCode).toBe(503)
    const body = res.json<Readiness>()
    expect(body.status).toBe('not_ready')
    expect(body.checks.find((c) => c.name === 'vault')).toMatchObject({ ok: false, detail: 'vault is sealed' })
    expect(body.checks.find((c) => c.name === 'peer')).toMatchObject({ ok: true })
  })

  it('reports a check that throws as failed, with its message', async () => {
    const app = await appWith({
      vault: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:8200')
      },
    })
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    expect(res.statusCode).toBe(503)
    expect(res.json<Readiness>().checks).toEqual([
      { name: 'vault', ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:8200', latency_ms: expect.any(Number) },
    ])
  })

  it('reports a check that hangs as failed within the default deadline of 2 s', async () => {
    const app = await appWith({ vault: hang, peer: pass })
    const started = performance.now()
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    const elapsed = performance.now() - started
    expect(res.statusCode).toBe(503)
    expect(res.json<Readiness>().checks.find((c) => c.name === 'vault')).toMatchObject({
      ok: false,
      detail: 'no answer within 2000 ms',
    })
    expect(elapsed).toBeGreaterThanOrEqual(1900)
    expect(elapsed).toBeLessThan(7000)
  })

  it('bounds each check by checkTimeoutMs and runs the checks side by side', async () => {
    const app = Fastify()
    apps.push(app)
    app.setValidatorCompiler(validatorCompiler)
    app.setSerializerCompiler(serializerCompiler)
    const events: string[] = []
    const slow =
      (name: string, ms: number): ReadinessCheck =>
      () => {
        events.push(`start ${name}`)
        return new Promise((resolve) =>
          setTimeout(() => {
            events.push(`end ${name}`)
            resolve({ ok: true, detail: `${ms} ms` })
          }, ms),
        )
      }
    const stuck: ReadinessCheck = () => {
      events.push('start stuck')
      return hang()
    }
    await app.register(health, {
      service: 's',
      version: '0',
      checks: { a: slow('a', 100), b: slow('b', 100), stuck },
      checkTimeoutMs: 250,
    })
    const started = performance.now()
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    const elapsed = performance.now() - started
    expect(res.statusCode).toBe(503)
    const checks = res.json<Readiness>().checks
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['a', true],
      ['b', true],
      ['stuck', false],
    ])
    expect(checks[2]?.detail).toBe('no answer within 250 ms')
    expect(checks[2]?.latency_ms).toBeGreaterThanOrEqual(240)
    expect(checks[0]?.latency_ms).toBeGreaterThanOrEqual(90)
    // Side by side: every check started before any finished (one after the other, a would end before b starts).
    expect(events).toEqual(['start a', 'start b', 'start stuck', 'end a', 'end b'])
    expect(elapsed).toBeLessThan(5_000)
  })
})

describe('readiness on /metrics', () => {
  it('records each check of the last /readyz answer, and never runs a check for a scrape', async () => {
    let runs = 0
    const counted: ReadinessCheck = async () => {
      runs++
      return { ok: true, detail: 'fine' }
    }
    const app = await appWith({ vault: fail, store: counted })
    const metricsText = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body
    expect(await metricsText()).not.toMatch(/^vault_dr_readiness_check\{/m)
    expect(runs).toBe(0)

    const before = Date.now() / 1000
    await app.inject({ method: 'GET', url: '/readyz' })
    const body = await metricsText()
    expect(runs).toBe(1)
    expect(body).toContain('vault_dr_readiness_check{check="vault",service="test-svc"} 0\n')
    expect(body).toContain('vault_dr_readiness_check{check="store",service="test-svc"} 1\n')
    const at = Number(/^vault_dr_readiness_checked_timestamp_seconds\{[^}]*\} (\S+)$/m.exec(body)?.[1])
    expect(at).toBeGreaterThanOrEqual(Math.floor(before))
    expect(at).toBeLessThanOrEqual(Date.now() / 1000)
  })

  it('with a self-check period, records the checks on its own: a store lost with nothing probing /readyz shows', async () => {
    let storeUp = true
    const store: ReadinessCheck = async () => ({ ok: storeUp, detail: storeUp ? 'fine' : 'no quorum' })
    const { app } = await buildTestApp({ readiness: { store }, readinessSelfCheckMs: 20 })
    apps.push(app)
    await app.ready()
    const storeGauge = async () =>
      /^vault_dr_readiness_check\{check="store"[^}]*\} (\S+)$/m.exec(
        (await app.inject({ method: 'GET', url: '/metrics' })).body,
      )?.[1]
    await expect.poll(storeGauge).toBe('1')
    storeUp = false
    await expect.poll(storeGauge).toBe('0')
  })
})
