import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAgentClients } from '../src/agents/agent-clients.ts'
import { SecretBox } from '../src/store/secret-box.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import {
  API_TOKEN,
  AUTH,
  createHandshake,
  PRIMARY_AGENT_TOKEN,
  register,
  SECONDARY_AGENT_TOKEN,
  startGateway,
  storeBytes,
  tempDir,
  until,
  waitFor,
} from './helpers/gateway.ts'
import { type PairsWorld, startPairsWorld, tokenRecordingClients } from './helpers/pairs-world.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>

let dir: string
let cleanup: () => void
let world: PairsWorld
let rec: ReturnType<typeof tokenRecordingClients>
const gateways: Gateway[] = []

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
  rec = tokenRecordingClients(createAgentClients({ timeoutMs: 10_000 }))
})
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.app.close()
  await rec.clients.close()
  await world?.close()
  cleanup()
})

/** A gateway on a pair joined by a handshake: dc1 primary, dc2 its DR secondary. */
async function joinedPair(env: Record<string, string> = {}, worldOpts: Parameters<typeof startPairsWorld>[0] = {}) {
  world = await startPairsWorld(worldOpts)
  const gw = await startGateway(join(dir, 'gw.sqlite'), { agents: rec.clients }, env)
  gateways.push(gw)
  await register(gw.app, 'dc1', 'primary', world.primaryUrl, PRIMARY_AGENT_TOKEN)
  await register(gw.app, 'dc2', 'secondary', world.secondaryUrl, SECONDARY_AGENT_TOKEN)
  const created = await createHandshake(gw.app)
  expect((await waitFor(gw.app, created.json().id)).state).toBe('succeeded')
  return gw
}

const get = async (gw: Gateway, url: string) => {
  const res = await gw.app.inject({ method: 'GET', url, headers: AUTH })
  return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
}
const rotate = async (gw: Gateway, secondary = 'dc2') => {
  const res = await gw.app.inject({
    method: 'POST',
    url: `/v1/pairs/${secondary}/dr-operation-token/rotate`,
    headers: AUTH,
  })
  return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
}
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name}\\{primary="dc1",secondary="dc2"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN)

/** The token the store keeps for dc1, opened as the gateway would (the store key is the API token here). */
async function storedToken(): Promise<{ token: string; expiresAt: number; previous: string | undefined }> {
  const store = new SqliteStore(join(dir, 'gw.sqlite'))
  try {
    const row = await store.getDrToken('dc1')
    if (row === undefined) throw new Error('no token stored')
    const box = new SecretBox(API_TOKEN)
    return {
      token: box.open(row.token_sealed, 'dr-operation-token/dc1') ?? '',
      expiresAt: Date.parse(row.expires_at),
      previous: row.previous_sealed === null ? undefined : box.open(row.previous_sealed, 'dr-operation-token/dc1'),
    }
  } finally {
    await store.close()
  }
}

/** Whether the secondary accepts a token now, asked through its agent as the gateway does. */
async function acceptedBySecondary(token: string): Promise<boolean> {
  const res = await fetch(`${world.secondaryUrl}/v1/dr/operation-token/check`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECONDARY_AGENT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  return ((await res.json()) as { valid: boolean }).valid
}

describe('pairs', () => {
  it('lists a pair joined by a handshake from live status, and shows it; no pair before', async () => {
    world = await startPairsWorld()
    const gw = await startGateway(join(dir, 'gw.sqlite'), { agents: rec.clients })
    gateways.push(gw)
    expect((await get(gw, '/v1/pairs')).json).toEqual({ pairs: [] })
    const missing = await get(gw, '/v1/pairs/dc2')
    expect(missing.status).toBe(404)
    expect(missing.json.code).toBe('GATEWAY_ERR_PAIR_NOT_FOUND')
    const bad = await get(gw, '/v1/pairs/Not_A_Name')
    expect(bad.status).toBe(400)
    expect(bad.json.detail).toContain('secondary')
  })

  it('shows both clusters, secondary id, connection, lag, heartbeat and versions of a joined pair', async () => {
    const gw = await joinedPair()
    await until(() => rec.issued.length === 1, 'the token issued after the handshake')
    const listed = await get(gw, '/v1/pairs')
    expect(listed.json.pairs).toHaveLength(1)
    const pair = (await get(gw, '/v1/pairs/dc2')).json
    expect(pair).toMatchObject({
      secondary: 'dc2',
      primary: 'dc1',
      secondary_id: 'dc2',
      connection_state: 'ready',
      primary_sees_secondary: 'connected',
      clusters: {
        primary: { name: 'dc1', agent_reachable: true, mode: 'primary', sealed: false },
        secondary: { name: 'dc2', agent_reachable: true, mode: 'secondary', state: 'stream-wals' },
      },
      dr_operation_token: { expires_at: expect.any(String) },
    })
    expect(pair.lag.wals).toBeGreaterThanOrEqual(0)
    expect(pair.lag.age_s).toBeGreaterThanOrEqual(0)
    expect(pair.versions.primary).toMatch(/\+ent/)
    expect(pair.clusters.primary.replication_cluster_id).toBe(pair.clusters.secondary.replication_cluster_id)
  })

  it('has a DR operation token as soon as its handshake succeeded; a rotation makes a new one the secondary accepts, and it is ready', async () => {
    const gw = await joinedPair()
    // Issued once the handshake ended, not at the upkeep's next round (a minute later by default).
    await until(() => rec.issued.length === 1, 'the token issued after the handshake')
    const before = (await get(gw, '/v1/pairs/dc2/readiness')).json
    expect(before.checks.find((c: any) => c.name === 'dr_token')).toMatchObject({ id: 'P4', status: 'pass' })

    const rotated = await rotate(gw)
    expect(rotated.status, rotated.body).toBe(200)
    // The same call reports the DR site's raft (vault-sim: one healthy voter).
    expect(rotated.json.check).toMatchObject({
      outcome: 'valid',
      code: 'DR_TOKEN_VALID',
      raft: { healthy: true, failure_tolerance: 0 },
    })
    expect(rotated.json.token.remaining_s).toBeGreaterThan(7 * 3600)
    expect(rec.issued).toHaveLength(2)

    const after = (await get(gw, '/v1/pairs/dc2/readiness?max_lag_wals=1000')).json
    const statuses = Object.fromEntries(after.checks.map((c: any) => [c.name, c.status]))
    expect(statuses).toEqual({
      connection: 'pass',
      lag: 'pass',
      merkle: 'pass',
      dr_token: 'pass',
      dr_token_on_secondary: 'pass',
      versions: 'pass',
      // dc1's agent runs without VAULT_DR_FENCE_ON_ISOLATION: a warning, the pair ready all the same.
      primary_self_fence: 'warn',
      secondary_unsealed: 'pass',
      secondary_raft: 'pass',
      primary_nodes: 'pass',
    })
    expect(after.ready).toBe(true)
    expect(after.pair.dr_operation_token.expires_at).toBe(rotated.json.token.expires_at)

    const metrics = (await gw.app.inject({ url: '/metrics' })).body
    expect(metric(metrics, 'vault_dr_pair_ready')).toBe(1)
    expect(metric(metrics, 'vault_dr_pair_connected')).toBe(1)
    expect(metric(metrics, 'vault_dr_pair_merkle_corrupted')).toBe(0)
    expect(metric(metrics, 'vault_dr_pair_lag_wals')).toBeGreaterThanOrEqual(0)
    expect(metric(metrics, 'vault_dr_pair_heartbeat_age_seconds')).toBeGreaterThanOrEqual(0)
    expect(metric(metrics, 'vault_dr_operation_token_expiry_timestamp_seconds')).toBe(
      Date.parse(rotated.json.token.expires_at) / 1000,
    )

    // The tokens made by vault-dr: the last is the one kept, the one before beside it; they appear nowhere but
    // sealed in the store.
    const [first, token] = rec.issued as [string, string]
    expect(await storedToken()).toMatchObject({ token, previous: first })
    const seen = [before, rotated.body, after, (await get(gw, '/v1/pairs')).body, metrics].map((x) => JSON.stringify(x))
    for (const text of [...seen, gw.logs.text, world.agentLogs.text, storeBytes(dir)]) {
      for (const made of rec.issued) expect(text).not.toContain(made)
    }
  })

  it('fails lag and connection when writes stop reaching the secondary, and P7 when it is sealed', async () => {
    const gw = await joinedPair()
    // Digits only: an empty value is not the strictest 0, nor is 0x10 sixteen.
    for (const value of ['-1', '', '0x10', '1e3']) {
      const bad = await get(gw, `/v1/pairs/dc2/readiness?max_lag_wals=${value}`)
      expect(bad.status, value).toBe(400)
      expect(bad.json.detail).toContain('max_lag_wals')
    }
    const misspelt = await get(gw, '/v1/pairs/dc2/readiness?max_lag=1000')
    expect(misspelt.status).toBe(400)
    expect(misspelt.json.detail).toContain('max_lag')

    await world.primary.faults.closeClusterListener()
    world.primary.faults.write('sys/policies/acl/lag-1')
    world.primary.faults.write('sys/policies/acl/lag-2')
    const check = async (name: string) =>
      (await get(gw, '/v1/pairs/dc2/readiness?max_lag_wals=1')).json.checks.find((c: any) => c.name === name)
    await until(async () => (await check('lag')).status === 'fail', 'lag to fail')
    expect(await check('lag')).toMatchObject({ id: 'P2', code: 'LAG_TOO_HIGH', fix: expect.any(String) })
    await until(async () => (await check('connection')).status !== 'pass', 'the connection check to turn')
    expect((await check('connection')).fix).toEqual(expect.any(String))

    world.secondary.faults.seal()
    expect(await check('secondary_unsealed')).toMatchObject({ id: 'P7', status: 'fail', code: 'SECONDARY_SEALED' })
    const metrics = (await gw.app.inject({ url: '/metrics' })).body
    expect(metric(metrics, 'vault_dr_pair_ready')).toBe(0)
    expect(metric(metrics, 'vault_dr_pair_connected')).toBe(0)
  })

  it("fails P7 secondary_raft when the DR site's raft is unhealthy, as the token check's autopilot answer says", async () => {
    const gw = await joinedPair()
    world.secondary.faults.setRaftHealthy(false)
    const rotated = await rotate(gw)
    expect(rotated.json.check).toMatchObject({ outcome: 'valid', raft: { healthy: false, failure_tolerance: 0 } })
    const readiness = (await get(gw, '/v1/pairs/dc2/readiness?max_lag_wals=1000')).json
    expect(readiness.checks.find((c: any) => c.name === 'secondary_raft')).toMatchObject({
      id: 'P7',
      status: 'fail',
      code: 'RAFT_UNHEALTHY',
      fix: expect.stringContaining('autopilot state'),
    })
    expect(readiness.ready).toBe(false)

    world.secondary.faults.setRaftHealthy(true)
    await rotate(gw)
    const again = (await get(gw, '/v1/pairs/dc2/readiness?max_lag_wals=1000')).json
    expect(again.checks.find((c: any) => c.name === 'secondary_raft')).toMatchObject({ status: 'pass' })
    expect(again.ready).toBe(true)
  })

  it('with a short TTL, re-issues the token at half its TTL, keeps the one before, and a valid one exists throughout', async () => {
    const gw = await joinedPair({ VAULT_DR_PAIRS_UPKEEP_MS: '100', VAULT_DR_OPERATION_TOKEN_TTL: '4s' })
    await until(() => rec.issued.length >= 1, 'the upkeep to issue a token')
    const seenValid: boolean[] = []
    const sampleUntil = async (issued: number) => {
      while (rec.issued.length < issued) {
        const { token, previous } = await storedToken()
        seenValid.push(await acceptedBySecondary(token))
        // The one kept beside it is the one issued just before it (the agent may have issued a newer one not stored yet).
        if (previous !== undefined) expect(rec.issued.indexOf(previous)).toBe(rec.issued.indexOf(token) - 1)
        await sleep(100)
      }
    }
    // The first rotation comes at half the first token's TTL: the secondary still accepts the first one then.
    await sampleUntil(2)
    const [first] = rec.issued
    if (first === undefined) throw new Error('no token')
    expect(await acceptedBySecondary(first)).toBe(true)
    await until(async () => (await storedToken()).previous === first, 'the first token to be kept beside the second')
    // Until a second rotation (about 2 s more), the kept token is accepted at every sample.
    await sampleUntil(3)
    expect(seenValid.length).toBeGreaterThan(5)
    expect(seenValid.every(Boolean)).toBe(true)
    await until(async () => !(await acceptedBySecondary(first)), 'the first token to expire', 10_000)
    for (const token of rec.issued) {
      expect(gw.logs.text).not.toContain(token)
      expect(world.agentLogs.text).not.toContain(token)
      expect(storeBytes(dir)).not.toContain(token)
    }
  })

  it('fails P4 once the kept token expired, on the gateway and on the secondary', async () => {
    const gw = await joinedPair({ VAULT_DR_OPERATION_TOKEN_TTL: '2s' })
    expect((await rotate(gw)).json.check.outcome).toBe('valid')
    const readiness = async () => (await get(gw, '/v1/pairs/dc2/readiness')).json
    const { expires_at: expiresAt } = (await readiness()).pair.dr_operation_token
    await until(() => Date.now() > Date.parse(expiresAt), 'the token to expire')
    // Vault counts a token's life from its creation in whole seconds, which may fall a moment after the agent's
    // issue time: the secondary may accept it for that moment more.
    const checksOf = (r: any) => Object.fromEntries(r.checks.map((c: any) => [c.name, c]))
    await until(
      async () => checksOf(await readiness()).dr_token_on_secondary.status === 'fail',
      'the secondary to refuse the token',
    )
    const after = await readiness()
    expect(after.ready).toBe(false)
    const byName = checksOf(after)
    expect(byName.dr_token).toMatchObject({ status: 'fail', code: 'DR_TOKEN_EXPIRED', fix: expect.any(String) })
    expect(byName.dr_token_on_secondary).toMatchObject({ status: 'fail', code: 'DR_TOKEN_REJECTED' })
  })

  it('closes while the upkeep waits on a primary agent that does not answer: the call is abandoned', async () => {
    world = await startPairsWorld()
    let waiting: () => void = () => {}
    const called = new Promise<void>((resolve) => {
      waiting = resolve
    })
    const base = rec.clients
    const hanging = {
      ...base,
      primary: (target: Parameters<typeof base.primary>[0]) => ({
        ...base.primary(target),
        createDrOperationToken: (_body: unknown, signal?: AbortSignal) =>
          new Promise<never>((_, reject) => {
            waiting()
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
          }),
      }),
    }
    const gw = await startGateway(join(dir, 'gw.sqlite'), { agents: hanging }, { VAULT_DR_PAIRS_UPKEEP_MS: '100' })
    await register(gw.app, 'dc1', 'primary', world.primaryUrl, PRIMARY_AGENT_TOKEN)
    await register(gw.app, 'dc2', 'secondary', world.secondaryUrl, SECONDARY_AGENT_TOKEN)
    expect((await waitFor(gw.app, (await createHandshake(gw.app)).json().id)).state).toBe('succeeded')
    await called
    // Without the abort, close would wait for an answer that never comes (and the test would time out).
    await gw.app.close()
    expect(gw.logs.text).not.toContain('hvb.')
  })

  it("fences the DR operation token's issue and the key-share ceremony with the store's epoch", async () => {
    const gw = await joinedPair()
    const agentEpoch = async (url: string, token: string) =>
      ((await (await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as any).epoch
    const seen = Math.max(
      await agentEpoch(world.primaryUrl, PRIMARY_AGENT_TOKEN),
      await agentEpoch(world.secondaryUrl, SECONDARY_AGENT_TOKEN),
    )
    const ahead = seen + 5
    // Both agents see an epoch above the store's (a store restored from a backup), from a harmless fenced call each.
    const atAhead = (url: string, token: string, method: 'POST' | 'DELETE', epoch: number) =>
      fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'x-vault-dr-epoch': String(epoch),
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body: '{}' } : {}),
      })
    const issued = await atAhead(`${world.primaryUrl}/v1/dr/operation-token`, PRIMARY_AGENT_TOKEN, 'POST', ahead)
    expect(issued.status, await issued.text()).toBe(201)
    const storeEpoch = async () => {
      const store = new SqliteStore(join(dir, 'gw.sqlite'))
      try {
        return await store.currentEpoch()
      } finally {
        await store.close()
      }
    }
    expect(await storeEpoch()).toBeLessThan(ahead)

    // The calls carry the store's epoch: the agent refuses it as stale, the gateway raises its counter above the
    // agent's (no role change since it read it), says so, and calls again. Unfenced, they would go through without.
    const rotated = await rotate(gw)
    expect(rotated.status, rotated.body).toBe(200)
    expect(await storeEpoch()).toBeGreaterThanOrEqual(ahead)
    expect(gw.logs.text).toContain("fencing epoch raised above an agent's")

    // The same for each call of the key-share ceremony, the secondary's agent ahead again.
    const ceremonyUrl = '/v1/pairs/dc2/dr-operation-token/ceremony'
    const cancelAhead = async () => {
      const ahead = (await storeEpoch()) + 5
      const res = await atAhead(
        `${world.secondaryUrl}/v1/dr/operation-token/ceremony`,
        SECONDARY_AGENT_TOKEN,
        'DELETE',
        ahead,
      )
      expect(res.status, await res.text()).toBe(200)
      return ahead
    }
    let aheadAgain = await cancelAhead()
    const started = await gw.app.inject({ method: 'POST', url: ceremonyUrl, headers: AUTH })
    expect(started.statusCode, started.body).toBe(201)
    expect(await storeEpoch()).toBeGreaterThanOrEqual(aheadAgain)
    const wrongKey = Buffer.alloc(33, 9).toString('base64')
    aheadAgain = await cancelAhead()
    const share = await gw.app.inject({
      method: 'POST',
      url: `${ceremonyUrl}/${started.json().nonce}/shares`,
      headers: AUTH,
      payload: { key: wrongKey },
    })
    // Admitted past the fence, then refused by the agent: the cancel that put it ahead ended its attempt.
    expect(share.json().code, share.body).toBe('GATEWAY_ERR_CEREMONY_UNKNOWN')
    expect(await storeEpoch()).toBeGreaterThanOrEqual(aheadAgain)
    aheadAgain = await cancelAhead()
    const cancelled = await gw.app.inject({ method: 'DELETE', url: ceremonyUrl, headers: AUTH })
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    expect(await storeEpoch()).toBeGreaterThanOrEqual(aheadAgain)
    expect(await agentEpoch(world.secondaryUrl, SECONDARY_AGENT_TOKEN)).toBe(await storeEpoch())
  })

  it("runs the key-share ceremony through the secondary's agent and keeps the token sealed; it promotes by hand", async () => {
    const gw = await joinedPair()
    const url = '/v1/pairs/dc2/dr-operation-token/ceremony'
    const post = async (path: string, payload?: object) => {
      const res = await gw.app.inject({ method: 'POST', url: path, headers: AUTH, ...(payload ? { payload } : {}) })
      return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
    }
    const wrongKey = Buffer.alloc(33, 9).toString('base64')
    const first = await post(url)
    expect(first.status, first.body).toBe(201)
    const refused = await post(`${url}/${first.json.nonce}/shares`, { key: wrongKey })
    expect(refused.status).toBe(400)
    expect(refused.json).toMatchObject({ code: 'GATEWAY_ERR_CEREMONY_SHARE_REJECTED', fix: expect.any(String) })
    expect(refused.json.upstream.code).toBe('SECONDARY_ERR_CEREMONY_SHARE_REJECTED')
    expect(refused.body).not.toContain(wrongKey)

    const started = await post(url)
    expect(started.json).toMatchObject({ progress: 0, required: 1, complete: false })
    const [key] = world.primary.unsealKeys
    if (key === undefined) throw new Error('no key share')
    const done = await post(`${url}/${started.json.nonce}/shares`, { key })
    expect(done.json).toEqual({ nonce: started.json.nonce, progress: 1, required: 1, complete: true })

    const store = new SqliteStore(join(dir, 'gw.sqlite'))
    const kept = await store.getCeremonyToken('dc2')
    await store.close()
    const token =
      kept === undefined ? undefined : new SecretBox(API_TOKEN).open(kept.token_sealed, 'dr-ceremony-token/dc2')
    if (token === undefined) throw new Error('no ceremony token kept')
    const readiness = await get(gw, '/v1/pairs/dc2/readiness')
    expect(readiness.json.checks.find((c: any) => c.name === 'dr_token')).toMatchObject({ status: 'pass' })
    expect(readiness.json.pair.dr_ceremony_token.created_at).toEqual(expect.any(String))
    for (const text of [first.body, done.body, readiness.body, gw.logs.text, world.agentLogs.text, storeBytes(dir)]) {
      expect(text).not.toContain(token)
      expect(text).not.toContain(key)
    }
    const cancelled = await gw.app.inject({ method: 'DELETE', url, headers: AUTH })
    expect(cancelled.json()).toEqual({ cancelled: false })

    const promoted = await fetch(`${world.secondary.apiUrl}/v1/sys/replication/dr/secondary/promote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dr_operation_token: token }),
    })
    expect(promoted.status, await promoted.text()).toBeLessThan(300)
  })

  it('refuses a new ceremony while one token is kept; deletePairDrTokenCeremonyToken deletes it in Vault and forgets it', async () => {
    const gw = await joinedPair()
    const url = '/v1/pairs/dc2/dr-operation-token/ceremony'
    const call = async (method: 'POST' | 'DELETE', path: string, payload?: object) => {
      const res = await gw.app.inject({ method, url: path, headers: AUTH, ...(payload ? { payload } : {}) })
      return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
    }
    const started = await call('POST', url)
    const [key] = world.primary.unsealKeys
    if (key === undefined) throw new Error('no key share')
    expect((await call('POST', `${url}/${started.json.nonce}/shares`, { key })).json.complete).toBe(true)
    const kept = async () => {
      const store = new SqliteStore(join(dir, 'gw.sqlite'))
      const row = await store.getCeremonyToken('dc2')
      await store.close()
      return row === undefined ? undefined : new SecretBox(API_TOKEN).open(row.token_sealed, 'dr-ceremony-token/dc2')
    }
    const token = await kept()
    if (token === undefined) throw new Error('no ceremony token kept')
    const acceptedByDc2 = async () =>
      (
        await fetch(`${world.secondary.apiUrl}/v1/sys/storage/raft/autopilot/state`, {
          headers: { 'x-vault-token': token },
        })
      ).status

    // Replaced, the kept one would stay valid in Vault with no one holding it: a new ceremony is refused.
    const again = await call('POST', url)
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({ code: 'GATEWAY_ERR_CEREMONY_TOKEN_KEPT' })
    expect(again.json.fix).toContain('vault-dr dr-token ceremony dc2 --delete')

    expect(await acceptedByDc2()).toBe(200)
    const deleted = await call('DELETE', `${url}/token`)
    expect(deleted.status, deleted.body).toBe(200)
    expect(deleted.json).toMatchObject({ outcome: 'deleted' })
    expect(await acceptedByDc2()).toBe(403)
    expect(await kept()).toBeUndefined()
    expect((await get(gw, '/v1/pairs/dc2/readiness')).json.pair.dr_ceremony_token).toBeNull()
    expect((await call('DELETE', `${url}/token`)).json).toMatchObject({ outcome: 'none_kept' })
    expect((await call('DELETE', '/v1/pairs/dc9/dr-operation-token/ceremony/token')).status).toBe(404)
    // A new ceremony may start now. Its token deleted in Vault behind the gateway's back (or by an earlier attempt of
    // this delete whose answer was lost), the secondary refuses it and confirms it no longer accepts it: forgotten.
    const second = await call('POST', url)
    expect(second.status).toBe(201)
    expect((await call('POST', `${url}/${second.json.nonce}/shares`, { key })).json.complete).toBe(true)
    const secondToken = await kept()
    if (secondToken === undefined) throw new Error('no second ceremony token kept')
    const behind = await fetch(`${world.secondary.apiUrl}/v1/sys/replication/dr/secondary/operation-token/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dr_operation_token: secondToken }),
    })
    expect(behind.status).toBe(204)
    const refused = await call('DELETE', `${url}/token`)
    expect(refused.json).toMatchObject({ outcome: 'not_valid' })
    expect(refused.json.detail).toContain('no longer accepts the ceremony token')
    expect(await kept()).toBeUndefined()
    for (const text of [deleted.body, gw.logs.text, world.agentLogs.text, storeBytes(dir)])
      expect(text).not.toContain(token)
  })

  it("says what to change when the secondary's Vault wants authentication for the ceremony", async () => {
    const gw = await joinedPair({}, { compat: { ceremonyAuth: 'root' } })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/pairs/dc2/dr-operation-token/ceremony', headers: AUTH })
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json()).toMatchObject({ code: 'GATEWAY_ERR_CEREMONY_AUTH_REQUIRED' })
    expect(res.json().upstream.code).toBe('SECONDARY_ERR_CEREMONY_AUTH_REQUIRED')
    expect(res.json().fix).toContain('enable_unauthenticated_access')
  })

  it('with the primary agent down, rotation fails with a coded error and readiness warns as expiry approaches', async () => {
    const gw = await joinedPair({ VAULT_DR_OPERATION_TOKEN_MIN_REMAINING: '24h' })
    expect((await rotate(gw)).status).toBe(200)
    const warned = (await get(gw, '/v1/pairs/dc2/readiness')).json
    expect(warned.checks.find((c: any) => c.name === 'dr_token')).toMatchObject({
      status: 'warn',
      code: 'DR_TOKEN_EXPIRING',
    })
    await world.stopPrimaryAgent()
    const failed = await rotate(gw)
    expect(failed.status).toBeGreaterThanOrEqual(400)
    expect(failed.json.code).toMatch(/^GATEWAY_ERR_/)
    expect(failed.json.fix).toEqual(expect.any(String))
    const readiness = (await get(gw, '/v1/pairs/dc2/readiness')).json
    expect(readiness.ready).toBe(false)
    expect(readiness.checks.find((c: any) => c.name === 'connection')).toMatchObject({
      status: 'fail',
      code: 'AGENT_UNREACHABLE',
    })
    expect(readiness.checks.find((c: any) => c.name === 'dr_token').status).toBe('warn')
  })
})

describe('a fence entry no gateway can read (damaged, or written by a newer gateway)', () => {
  it('is taken for a fence: the switchover plan fails its check and a rejoin is refused, both naming the entry', async () => {
    const gw = await joinedPair()
    const plan = async () => {
      const res = await gw.app.inject({
        method: 'POST',
        url: '/v1/switchovers/plan',
        headers: AUTH,
        payload: { to: 'dc2' },
      })
      expect(res.statusCode, res.body).toBe(200)
      return res.json() as { ok: boolean; checks: Array<{ name: string; status: string; detail: string }> }
    }
    expect((await plan()).ok).toBe(true)

    const other = new SqliteStore(join(dir, 'gw.sqlite'))
    try {
      await other.setMeta('fence/dc1', '{"cluster":"dc1","epoch":')
    } finally {
      await other.close()
    }
    const refused = await plan()
    expect(refused.ok).toBe(false)
    expect(refused.checks.find((c) => c.name === 'from_fenced')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('fence/dc1'),
    })
    const rejoin = await gw.app.inject({
      method: 'POST',
      url: '/v1/rejoins',
      headers: AUTH,
      payload: { cluster: 'dc1' },
    })
    expect(rejoin.statusCode, rejoin.body).toBe(409)
    expect(rejoin.json()).toMatchObject({
      code: 'GATEWAY_ERR_FENCE_UNREADABLE',
      detail: expect.stringContaining('fence/dc1'),
    })
    expect(world.primary.state().drMode).toBe('primary')
  })
})
