import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { afterEach, describe, expect, it } from 'vitest'
import type { GatewayKind, KindDeps } from '../src/app.ts'
import type { OperationKind } from '../src/operations/operation-kind.ts'
import type { OperationRecord } from '../src/operations/operation-record.ts'
import { pendingStep } from '../src/operations/step.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import type { Store } from '../src/store/store.ts'
import { FakeWorld } from './helpers/fake-agents.ts'
import { AUTH, createHandshake, registerPair, startGateway, tempDir, waitFor } from './helpers/gateway.ts'
import { useRegisteredGateway } from './helpers/gateway-fixture.ts'
import { MemoryOperationStore } from './helpers/memory-operation-store.ts'

describe('operations API over handshakes', () => {
  const fx = useRegisteredGateway()
  const get = (url: string) => fx.gw.app.inject({ method: 'GET', url, headers: AUTH })

  it('shows a handshake as an operation of kind handshake, and filters by kind, state and cluster', async () => {
    const id = (await createHandshake(fx.gw.app)).json().id as string
    await waitFor(fx.gw.app, id, ['succeeded'])
    const one = await get(`/v1/operations/${id}`)
    expect(one.statusCode, one.body).toBe(200)
    expect(one.json()).toMatchObject({
      id,
      kind: 'handshake',
      state: 'succeeded',
      clusters: ['dc1', 'dc2'],
      subject: { primary: 'dc1', secondary: 'dc2', secondary_id: 'dc2' },
      result: { token: { secondary_id: 'dc2' } },
      cancel_requested: false,
    })
    expect(one.json().steps.map((s: { name: string }) => s.name)).toEqual([
      'preflight',
      'enable_primary',
      'mint_token',
      'inspect_token',
      'activate_secondary',
      'verify',
    ])
    const ids = async (query: string) =>
      (await get(`/v1/operations${query}`)).json().operations.map((o: { id: string }) => o.id)
    expect(await ids('')).toEqual([id])
    expect(await ids('?kind=handshake&state=succeeded&cluster=dc2')).toEqual([id])
    expect(await ids('?cluster=dc9')).toEqual([])
    expect(await ids('?state=failed')).toEqual([])
    expect(await ids('?kind=switchover')).toEqual([])
  })

  it.each([
    ['kind=bogus', 'querystring/kind'],
    ['state=done', 'querystring/state'],
    ['limit=0', 'querystring/limit'],
    ['limit=', 'querystring/limit'],
    ['limit=0x10', 'querystring/limit'],
    ['limit=1e2', 'querystring/limit'],
    ['cluster=', 'querystring/cluster'],
    ['cluster=DC1', 'querystring/cluster'],
    ['cluster=dc1%20', 'querystring/cluster'],
    ['sate=running', 'querystring/sate'],
  ])('refuses the filter %s with 400 naming %s', async (query, path) => {
    const res = await get(`/v1/operations?${query}`)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().errors).toContainEqual(expect.objectContaining({ path }))
  })

  it('answers 404 for an unknown operation and 409 when cancelling a finished one', async () => {
    const missing = await get(`/v1/operations/${randomUUID()}`)
    expect(missing.statusCode).toBe(404)
    expect(missing.json().code).toBe('GATEWAY_ERR_OPERATION_NOT_FOUND')
    const id = (await createHandshake(fx.gw.app)).json().id as string
    await waitFor(fx.gw.app, id, ['succeeded'])
    const cancel = await fx.gw.app.inject({ method: 'POST', url: `/v1/operations/${id}/cancel`, headers: AUTH })
    expect(cancel.statusCode).toBe(409)
    expect(cancel.json().code).toBe('GATEWAY_ERR_OPERATION_FINISHED')
  })

  it('streams a handshake as operation events, ending with the finished operation', async () => {
    const id = (await createHandshake(fx.gw.app)).json().id as string
    await waitFor(fx.gw.app, id, ['succeeded'])
    const res = await fx.gw.app.inject({
      method: 'GET',
      url: `/v1/operations/${id}/events`,
      headers: { ...AUTH, 'last-event-id': '0' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('event: snapshot')
    expect(res.body).toContain(`"operation_id":"${id}"`)
    const done = res.body.split('event: done\ndata: ')[1]?.trim()
    expect(JSON.parse(done ?? '{}')).toMatchObject({ id, kind: 'handshake', state: 'succeeded' })
  })
})

/** A SQLite store with the generic journal kept in memory, as a store with both would be. */
function storeWithJournal(sqlite: SqliteStore, journal: MemoryOperationStore): Store {
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      const own = Reflect.get(journal, prop, journal)
      if (typeof own === 'function') return own.bind(journal)
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** A two-step kind that waits for `release` in its second step, and its route that starts one. */
function testKind(release: Promise<void>): GatewayKind {
  const kind = (): OperationKind<OperationRecord, unknown> => ({
    kind: 'drill',
    step: (name) => ({
      name,
      run: async () => {
        if (name === 'wait') await release
        return { status: 'succeeded', detail: `${name} done` }
      },
    }),
    context: async () => ({}),
  })
  const plugin: FastifyPluginAsyncZod<{ deps: KindDeps }> = async (app, { deps }) => {
    app.post('/test-drills', async (request, reply) => {
      const at = new Date().toISOString()
      const { created, operation } = await deps.operations.start({
        id: randomUUID(),
        kind: 'drill',
        state: 'pending',
        clusters: ['dc1', 'dc2'],
        subject: { primary: 'dc1', secondary: 'dc2' },
        data: {},
        steps: [pendingStep('check'), pendingStep('wait')],
        error: null,
        cancel_requested: false,
        idempotency_key: null,
        request_hash: null,
        created_at: at,
        updated_at: at,
        finished_at: null,
      })
      return reply.status(created ? 202 : 200).send({ id: operation.id, body: request.body ?? null })
    })
  }
  return { kind, routes: (v1, deps) => v1.register(plugin, { deps }) }
}

describe('operations API over the generic journal (a registered kind and its route)', () => {
  const tmp = tempDir()
  const closing: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const close of closing.splice(0)) await close()
  })

  it('starts, lists, refuses a second one on a busy cluster, and runs it to its end', async () => {
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const sqlite = new SqliteStore(join(tmp.dir, `${randomUUID()}.sqlite`))
    closing.push(() => sqlite.close())
    const store = storeWithJournal(sqlite, new MemoryOperationStore())
    const gw = await startGateway('', { store, agents: new FakeWorld().clients(), kinds: [testKind(released)] })
    closing.push(() => gw.app.close())
    await registerPair(gw.app)
    const first = await gw.app.inject({ method: 'POST', url: '/v1/test-drills', headers: AUTH })
    expect(first.statusCode, first.body).toBe(202)
    const id = first.json().id as string
    const busy = await gw.app.inject({ method: 'POST', url: '/v1/test-drills', headers: AUTH })
    expect(busy.statusCode).toBe(409)
    expect(busy.json()).toMatchObject({ code: 'GATEWAY_ERR_CLUSTER_BUSY' })
    expect(busy.json().detail).toContain(`${id} (drill)`)
    const listed = await gw.app.inject({ method: 'GET', url: '/v1/operations?kind=drill', headers: AUTH })
    expect(listed.json().operations.map((o: { id: string }) => o.id)).toEqual([id])
    release()
    await expect
      .poll(async () => (await gw.app.inject({ method: 'GET', url: `/v1/operations/${id}`, headers: AUTH })).json())
      .toMatchObject({ kind: 'drill', state: 'succeeded', clusters: ['dc1', 'dc2'] })
    const metrics = (await gw.app.inject({ url: '/metrics' })).body
    expect(metrics).toMatch(/^vault_dr_operations\{kind="drill",state="succeeded"[^}]*\} 1$/m)
    expect(metrics).toMatch(
      /^vault_dr_operation_step_duration_seconds_count\{[^}]*kind="drill",step="wait",status="succeeded"[^}]*\} 1$/m,
    )
    expect(metrics).not.toMatch(/vault_dr_handshake_step_duration_seconds_count\{[^}]*step="wait"/)
    // Handshakes are counted by kind with the others (none has run here).
    expect(metrics).toMatch(/^vault_dr_operations\{kind="handshake",state="succeeded"[^}]*\} 0$/m)
  })
})

describe("a handshake refused by the store's cluster_busy outcome", () => {
  const tmp = tempDir()
  const closing: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const close of closing.splice(0)) await close()
  })

  it.each([
    ['drill', 'GATEWAY_ERR_CLUSTER_BUSY', 'Operation op-1 (drill) is running and holds cluster dc2'],
    ['handshake', 'GATEWAY_ERR_HANDSHAKE_IN_PROGRESS', 'Handshake op-1 is running and holds cluster dc2'],
  ])('answers 409 naming the holder when a %s holds a cluster', async (holderKind, code, detail) => {
    const sqlite = new SqliteStore(join(tmp.dir, `${randomUUID()}.sqlite`))
    closing.push(() => sqlite.close())
    const busy = { kind: 'cluster_busy', cluster: 'dc2', holder: { kind: holderKind, id: 'op-1', state: 'running' } }
    const store = new Proxy(sqlite, {
      get(target, prop) {
        if (prop === 'createHandshake') return async () => busy
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const gw = await startGateway('', { store, agents: new FakeWorld().clients() })
    closing.push(() => gw.app.close())
    await registerPair(gw.app)
    const res = await createHandshake(gw.app)
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json()).toMatchObject({ code, detail })
  })
})
