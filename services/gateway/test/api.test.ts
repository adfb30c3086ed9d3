import { openApiGaps } from '@vault-dr/core'
import { describe, expect, it } from 'vitest'
import {
  AUTH,
  createHandshake,
  PRIMARY_AGENT_TOKEN,
  SECONDARY_AGENT_TOKEN,
  storeBytes,
  waitFor,
} from './helpers/gateway.ts'
import { useRegisteredGateway } from './helpers/gateway-fixture.ts'

describe('gateway API', () => {
  const fx = useRegisteredGateway({ VAULT_DR_FLEET_TIMEOUT_MS: '200' })

  const list = async () => (await fx.gw.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH })).json()

  it('registers clusters (201, then 200 on replace) and never returns their token', async () => {
    const payload = {
      name: 'dc3',
      role: 'secondary',
      agent_url: 'https://agent.dc3.example:8420/',
      agent_token: 'x'.repeat(20),
    }
    const created = await fx.gw.app.inject({ method: 'POST', url: '/v1/clusters', headers: AUTH, payload })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({
      name: 'dc3',
      role: 'secondary',
      agent_url: 'https://agent.dc3.example:8420',
    })
    const replaced = await fx.gw.app.inject({ method: 'POST', url: '/v1/clusters', headers: AUTH, payload })
    expect(replaced.statusCode).toBe(200)
    expect(replaced.json().created_at).toBe(created.json().created_at)
    const one = await fx.gw.app.inject({ method: 'GET', url: '/v1/clusters/dc1', headers: AUTH })
    expect(one.json()).toMatchObject({
      name: 'dc1',
      agent: { reachable: true, status: { vault: { version: '1.17.3+ent' } } },
    })
    for (const res of [created, replaced, one]) expect(res.body).not.toMatch(/S3CRET|xxxxxxxxxxxxxxxxxxxx/)
    const del = await fx.gw.app.inject({ method: 'DELETE', url: '/v1/clusters/dc3', headers: AUTH })
    expect(del.statusCode).toBe(204)
    expect((await fx.gw.app.inject({ method: 'GET', url: '/v1/clusters/dc3', headers: AUTH })).statusCode).toBe(404)
  })

  it('shows the fleet, reporting an agent that does not answer instead of failing', async () => {
    fx.world.intercept['secondary.status'] = () => new Promise(() => {})
    const started = Date.now()
    const res = await fx.gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(res.statusCode).toBe(200)
    const [dc1, dc2] = res.json().clusters
    expect(dc1).toMatchObject({ name: 'dc1', role: 'primary', agent: { reachable: true } })
    expect(dc2).toMatchObject({
      name: 'dc2',
      agent: { reachable: false, error: { code: 'GATEWAY_ERR_AGENT_TIMEOUT' } },
    })
    const quick = await fx.gw.app.inject({ method: 'GET', url: '/v1/clusters?live=false', headers: AUTH })
    expect(quick.json().clusters[1].agent).toBeNull()
  })

  it.each([
    [
      'an invalid cluster name',
      '/v1/clusters',
      { name: 'DC_1', role: 'primary', agent_url: 'http://a:1', agent_token: 'x'.repeat(20) },
    ],
    [
      'an agent URL with a path',
      '/v1/clusters',
      { name: 'dc9', role: 'primary', agent_url: 'http://a:1/v1', agent_token: 'x'.repeat(20) },
    ],
    [
      'an agent URL with credentials',
      '/v1/clusters',
      { name: 'dc9', role: 'primary', agent_url: 'http://u:p@a:1', agent_token: 'x'.repeat(20) },
    ],
    [
      'a short agent token',
      '/v1/clusters',
      { name: 'dc9', role: 'primary', agent_url: 'http://a:1', agent_token: 'short' },
    ],
    ['an unknown cluster', '/v1/handshakes', { primary: 'dc1', secondary: 'nope' }],
    ['a cluster of the wrong role', '/v1/handshakes', { primary: 'dc2', secondary: 'dc1' }],
    ['the same cluster twice', '/v1/handshakes', { primary: 'dc1', secondary: 'dc1' }],
    ['an unknown check to skip', '/v1/handshakes', { primary: 'dc1', secondary: 'dc2', skip_checks: ['everything'] }],
    ['a malformed TTL', '/v1/handshakes', { primary: 'dc1', secondary: 'dc2', token_ttl: '5 minutes' }],
    ['a TTL under the safety margin', '/v1/handshakes', { primary: 'dc1', secondary: 'dc2', token_ttl: '20s' }],
    ['an unknown field', '/v1/handshakes', { primary: 'dc1', secondary: 'dc2', force: true }],
    ['a bad secondary id', '/v1/handshakes', { primary: 'dc1', secondary: 'dc2', secondary_id: '../x' }],
  ])('answers 400 problem+json to %s and changes nothing', async (_what, url, payload) => {
    const res = await fx.gw.app.inject({ method: 'POST', url, headers: AUTH, payload })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toMatchObject({ status: 400, code: expect.stringMatching(/_ERR_/) })
    expect((await list()).handshakes).toEqual([])
    const clusters = await fx.gw.app.inject({ method: 'GET', url: '/v1/clusters?live=false', headers: AUTH })
    expect(clusters.json().clusters.map((c: { name: string }) => c.name)).toEqual(['dc1', 'dc2'])
    expect(fx.world.calls).toEqual([])
  })

  it('names an unknown field by its path', async () => {
    const payload = { primary: 'dc1', secondary: 'dc2', token_tll: '10m' }
    const res = await fx.gw.app.inject({ method: 'POST', url: '/v1/handshakes', headers: AUTH, payload })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ path: 'body/token_tll', message: expect.stringContaining('token_tll') }])
  })

  it('documents every problem as application/problem+json, and 400/401/500/503 (413/415 with a body) everywhere', async () => {
    // 503: every route reads or writes the store, which may be an etcd store without a quorum.
    expect(openApiGaps(fx.gw.app.swagger(), { alsoEverywhere: ['503'] })).toEqual([])
  })

  it('answers 404 problem+json for an unknown handshake, and 401 without the token', async () => {
    for (const url of ['/v1/handshakes/nope', '/v1/handshakes/nope/events']) {
      const res = await fx.gw.app.inject({ method: 'GET', url, headers: AUTH })
      expect(res.statusCode).toBe(404)
      expect(res.json()).toMatchObject({ code: 'GATEWAY_ERR_HANDSHAKE_NOT_FOUND', status: 404 })
    }
    const cancel = await fx.gw.app.inject({ method: 'POST', url: '/v1/handshakes/nope/cancel', headers: AUTH })
    expect(cancel.statusCode).toBe(404)
    expect((await fx.gw.app.inject({ method: 'GET', url: '/v1/handshakes' })).statusCode).toBe(401)
  })

  it('lists newest first and filters by state', async () => {
    fx.world.primary.sealed = true
    const failed = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    fx.world.primary.sealed = false
    const ok = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect((await list()).handshakes.map((h: { id: string }) => h.id)).toEqual([ok.id, failed.id])
    const onlyFailed = await fx.gw.app.inject({ method: 'GET', url: '/v1/handshakes?state=failed', headers: AUTH })
    expect(onlyFailed.json().handshakes.map((h: { id: string }) => h.id)).toEqual([failed.id])
    const one = await fx.gw.app.inject({ method: 'GET', url: '/v1/handshakes?limit=1', headers: AUTH })
    expect(one.json().handshakes.map((h: { id: string }) => h.id)).toEqual([ok.id])
    for (const limit of ['', '0x2', '2e0']) {
      const bad = await fx.gw.app.inject({ method: 'GET', url: `/v1/handshakes?limit=${limit}`, headers: AUTH })
      expect(bad.statusCode, limit).toBe(400)
      expect(bad.json().errors).toContainEqual(expect.objectContaining({ path: 'querystring/limit' }))
    }
    // A misspelt filter is refused by name rather than ignored into the whole list.
    for (const url of ['/v1/handshakes?stat=failed', '/v1/clusters?liv=false']) {
      const bad = await fx.gw.app.inject({ method: 'GET', url, headers: AUTH })
      expect(bad.statusCode, url).toBe(400)
      const name = url.slice(url.indexOf('?') + 1, url.indexOf('='))
      expect(bad.json().errors, url).toContainEqual({
        path: `querystring/${name}`,
        message: `Unrecognized key: "${name}"`,
      })
    }
  })

  it('streams step events and a final event, then closes', async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    await fx.restart({
      hooks: { beforeStep: (_id, step) => (step === 'preflight' ? held : undefined) },
    })
    const address = await fx.gw.app.listen({ host: '127.0.0.1', port: 0 })
    const id = (await createHandshake(fx.gw.app)).json().id as string
    const res = await fetch(`${address}/v1/handshakes/${id}/events`, { headers: AUTH })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    release()
    const text = await res.text()
    const events = text
      .split('\n\n')
      .filter((block) => block.includes('event: '))
      .map((block) => ({
        event: /event: (.+)/.exec(block)?.[1],
        data: JSON.parse(/data: (.+)/.exec(block)?.[1] ?? 'null'),
      }))
    expect(events[0]?.event).toBe('snapshot')
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { id, state: 'succeeded' } })
    const steps = events.filter((e) => e.event === 'step').map((e) => `${e.data.step.name}:${e.data.step.status}`)
    expect(steps).toContain('preflight:running')
    expect(steps).toContain('verify:succeeded')
    expect(steps.indexOf('mint_token:succeeded')).toBeLessThan(steps.indexOf('activate_secondary:running'))
    expect(text).not.toContain(fx.world.minted[0])
    // The public shape only: what the gateway keeps for itself stays out of the stream.
    for (const internal of ['mint_requested_at', 'recheck_cluster', 'idempotency_key', 'request_hash']) {
      expect(text).not.toContain(internal)
    }
  })

  it('keeps every secret out of the store file, the logs and the answers', async () => {
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('succeeded')
    const answers = [
      await fx.gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH }),
      await fx.gw.app.inject({ method: 'GET', url: `/v1/handshakes/${hs.id}`, headers: AUTH }),
      await fx.gw.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH }),
    ]
      .map((r) => r.body)
      .join('\n')
    await fx.close(fx.gw)
    const secrets = [PRIMARY_AGENT_TOKEN, SECONDARY_AGENT_TOKEN, ...fx.world.minted]
    expect(fx.world.minted.length).toBeGreaterThan(0)
    const bytes = storeBytes(fx.dir)
    expect(bytes.length).toBeGreaterThan(0)
    for (const secret of secrets) {
      expect(bytes).not.toContain(secret)
      expect(fx.gw.logs.text).not.toContain(secret)
      expect(answers).not.toContain(secret)
    }
  })

  it('is not ready when the store was written with another key', async () => {
    await fx.restart({}, { VAULT_DR_STORE_KEY: 'another-key-0123456789' })
    const ready = await fx.gw.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json().checks[0]).toMatchObject({ name: 'store', ok: false })
    const cluster = await fx.gw.app.inject({ method: 'GET', url: '/v1/clusters/dc1', headers: AUTH })
    expect(cluster.json().agent.error.code).toBe('GATEWAY_ERR_STORE_KEY_MISMATCH')
  })
})
