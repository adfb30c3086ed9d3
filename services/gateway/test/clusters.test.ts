import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readFence, writeFence } from '../src/failovers/fence-record.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import { FakeWorld } from './helpers/fake-agents.ts'
import { AUTH, createHandshake, registerPair, startGateway, tempDir, waitFor } from './helpers/gateway.ts'

describe('registering clusters', () => {
  let tmp: { dir: string; cleanup: () => void }
  let world: FakeWorld
  let gw: Awaited<ReturnType<typeof startGateway>>
  let release!: () => void
  beforeEach(async () => {
    tmp = tempDir()
    world = new FakeWorld()
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    gw = await startGateway(join(tmp.dir, 'gw.sqlite'), {
      agents: world.clients(),
      hooks: { beforeStep: (_id, step) => (step === 'enable_primary' ? held : undefined) },
    })
    await registerPair(gw.app)
  })
  afterEach(async () => {
    release()
    await gw.app.close()
    tmp.cleanup()
  })

  const post = (payload: Record<string, unknown>) =>
    gw.app.inject({ method: 'POST', url: '/v1/clusters', headers: AUTH, payload })
  const body = (over: Record<string, unknown>) => ({
    name: 'dc9',
    role: 'primary',
    agent_url: 'http://a:1',
    agent_token: 'x'.repeat(20),
    ...over,
  })

  it.each([['not a url'], ['http//a:1'], ['ftp://a:1'], ['http://a b:1']])(
    'answers 400 naming body/agent_url to agent_url %j',
    async (url) => {
      const res = await post(body({ agent_url: url }))
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json()).toMatchObject({
        code: expect.stringMatching(/_ERR_/),
        detail: expect.stringContaining('body/agent_url'),
      })
    },
  )

  it('refuses a second name for an agent another cluster has (409 naming body/agent_url), and changes nothing', async () => {
    expect((await post(body({ name: 'dc9', agent_url: 'http://agent-9:8420' }))).statusCode).toBe(201)
    expect((await post(body({ name: 'dc8', agent_url: 'https://agent-x' }))).statusCode).toBe(201)
    // The same agent written another way: host case, the default port, a trailing slash.
    for (const url of ['http://agent-9:8420', 'http://AGENT-9:8420/', 'https://agent-x', 'https://agent-x:443/']) {
      const res = await post(body({ name: 'dc7', role: 'secondary', agent_url: url }))
      expect(res.statusCode, url).toBe(409)
      expect(res.json()).toMatchObject({ code: 'GATEWAY_ERR_AGENT_URL_IN_USE' })
      expect(res.json().errors).toEqual([
        { path: 'body/agent_url', message: expect.stringMatching(/registered cluster dc[89]/) },
      ])
    }
    const dc7 = await gw.app.inject({ method: 'GET', url: '/v1/clusters/dc7?live=false', headers: AUTH })
    expect(dc7.statusCode).toBe(404)
    // Its own name may keep or change its agent; another agent on the same host is another agent.
    expect((await post(body({ name: 'dc9', agent_url: 'http://agent-9:8420/' }))).statusCode).toBe(200)
    expect((await post(body({ name: 'dc7', role: 'secondary', agent_url: 'http://agent-9:8421' }))).statusCode).toBe(
      201,
    )
  })

  it.each([
    ['a line break', 'SECRETsecret1234\nTAIL'],
    ['a header smuggled in', 'abcdefghijklmnop\r\nX-Evil: 1'],
    ['accented letters', 'é'.repeat(20)],
    ['a lone surrogate', `${'x'.repeat(20)}\ud800`],
    ['a space', 'abcdefgh ijklmnopq'],
  ])('refuses an agent_token with %s (no header carries it), naming the field, never echoing it', async (_, token) => {
    const res = await post(body({ name: 'dc7', agent_url: 'http://agent-7:8420', agent_token: token }))
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors).toEqual([{ path: 'body/agent_token', message: 'must be printable ASCII without spaces' }])
    expect(res.body).not.toContain(token.slice(0, 12))
    const dc7 = await gw.app.inject({ method: 'GET', url: '/v1/clusters/dc7?live=false', headers: AUTH })
    expect(dc7.statusCode).toBe(404)
  })

  it('gives a malformed token_ttl one message, not also a range error', async () => {
    const res = await createHandshake(gw.app, { token_ttl: 'soon' })
    expect(res.statusCode, res.body).toBe(400)
    const errors = res.json().errors as Array<{ path: string; message: string }>
    expect(errors.filter((e) => e.path === 'body/token_ttl').map((e) => e.message)).toEqual([
      'must be a duration such as "300s", "5m" or "1h"',
    ])
  })

  it('refuses a role change while an unfinished handshake uses the cluster, but not a new URL or token', async () => {
    const id = (await createHandshake(gw.app)).json().id as string
    const flip = await post(body({ name: 'dc2', role: 'primary' }))
    expect(flip.statusCode, flip.body).toBe(409)
    expect(flip.json()).toMatchObject({ code: 'GATEWAY_ERR_CLUSTER_IN_USE', detail: expect.stringContaining(id) })
    const flipPrimary = await post(body({ name: 'dc1', role: 'secondary' }))
    expect(flipPrimary.statusCode).toBe(409)
    const moved = await post(body({ name: 'dc2', role: 'secondary', agent_url: 'http://moved-agent:8420' }))
    expect(moved.statusCode, moved.body).toBe(200)
    expect(moved.json().agent_url).toBe('http://moved-agent:8420')

    release()
    expect((await waitFor(gw.app, id)).state).toBe('succeeded')
    expect((await post(body({ name: 'dc2', role: 'primary' }))).statusCode).toBe(200)
  })

  it('refuses to deregister a cluster a failover fenced until it is demoted: no gateway would fence it then', async () => {
    // An old primary whose site is away (its agent does not answer), fenced by a failover that ended.
    expect((await post(body({ name: 'dc9', agent_url: 'http://127.0.0.1:1' }))).statusCode).toBe(201)
    const store = new SqliteStore(join(tmp.dir, 'gw.sqlite'))
    const fence = {
      cluster: 'dc9',
      epoch: 3,
      failover_id: 'f-1',
      new_primary: 'dc2',
      fenced_at: '2026-12-07T10:00:00.000Z',
      demoted_at: null,
      last_wal: null,
    }
    try {
      await writeFence(store, fence)
      const del = () => gw.app.inject({ method: 'DELETE', url: '/v1/clusters/dc9', headers: AUTH })
      const refused = await del()
      expect(refused.statusCode, refused.body).toBe(409)
      expect(refused.json()).toMatchObject({
        code: 'GATEWAY_ERR_CLUSTER_FENCED',
        detail: expect.stringContaining('failover f-1'),
        fix: expect.stringContaining('second writable DR primary'),
      })
      expect((await gw.app.inject({ method: 'GET', url: '/v1/clusters/dc9', headers: AUTH })).statusCode).toBe(200)
      // Once its agent demoted it, it may go.
      await writeFence(store, { ...fence, demoted_at: '2026-12-07T11:00:00.000Z' })
      expect((await del()).statusCode).toBe(204)
      // A name not registered is not found, whatever fence was left for it.
      expect((await del()).statusCode).toBe(404)

      // Its site gone for good: deregistered when asked so, said at warn, the fence kept (enforced again if it is
      // registered again).
      expect((await post(body({ name: 'dc8', agent_url: 'http://127.0.0.1:2' }))).statusCode).toBe(201)
      await writeFence(store, { ...fence, cluster: 'dc8' })
      const url = '/v1/clusters/dc8?site_lost=true'
      expect((await gw.app.inject({ method: 'DELETE', url, headers: AUTH })).statusCode).toBe(204)
      expect(gw.logs.text).toContain('deregistered as its site is lost for good')
      expect(await readFence(store, 'dc8')).toMatchObject({ failover_id: 'f-1', demoted_at: null })
      const bad = await gw.app.inject({ method: 'DELETE', url: '/v1/clusters/dc8?site_lost=maybe', headers: AUTH })
      expect(bad.statusCode).toBe(400)

      // A fence entry no one can read may be a fence not enforced yet: refused the same, naming the entry.
      expect((await post(body({ name: 'dc7', agent_url: 'http://127.0.0.1:3' }))).statusCode).toBe(201)
      await store.setMeta('fence/dc7', '{"cluster":"dc7","epoch":')
      const unreadable = await gw.app.inject({ method: 'DELETE', url: '/v1/clusters/dc7', headers: AUTH })
      expect(unreadable.statusCode, unreadable.body).toBe(409)
      expect(unreadable.json()).toMatchObject({
        code: 'GATEWAY_ERR_CLUSTER_FENCED',
        detail: expect.stringContaining('fence/dc7'),
      })
      expect((await gw.app.inject({ method: 'GET', url: '/v1/clusters/dc7', headers: AUTH })).statusCode).toBe(200)
    } finally {
      await store.close()
    }
  })
})
