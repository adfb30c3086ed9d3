import { describe, expect, it } from 'vitest'
import { GatewayErrors } from '../src/gateway-errors.ts'
import type { FakeWorld } from './helpers/fake-agents.ts'
import { AUTH, createHandshake, stepStatuses, waitFor } from './helpers/gateway.ts'
import { STORE_KINDS, useRegisteredGateway } from './helpers/gateway-fixture.ts'

describe.each(STORE_KINDS)('handshake state machine (fake agents, %s store)', (kind) => {
  const fx = useRegisteredGateway({}, kind)

  it('runs every step in order and records them', async () => {
    const res = await createHandshake(fx.gw.app)
    expect(res.statusCode, res.body).toBe(202)
    expect(res.headers.location).toBe(`/v1/handshakes/${res.json().id}`)
    const hs = await waitFor(fx.gw.app, res.json().id)
    expect(hs.state, JSON.stringify(hs)).toBe('succeeded')
    expect(stepStatuses(hs)).toEqual({
      preflight: 'succeeded',
      enable_primary: 'succeeded',
      mint_token: 'succeeded',
      inspect_token: 'succeeded',
      activate_secondary: 'succeeded',
      verify: 'succeeded',
    })
    for (const step of hs.steps) {
      expect(step.started_at).not.toBeNull()
      expect(step.finished_at).not.toBeNull()
    }
    expect(hs.secondary_id).toBe('dc2')
    expect(hs.token).toMatchObject({ secondary_id: 'dc2', mints: 1 })
    expect(hs.checks.some((c) => c.phase === 'post_enable' && c.code === 'OK')).toBe(true)
    expect(fx.world.activations).toBe(1)
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
    // The token never leaves memory: not in the handshake, nor in the response.
    expect(JSON.stringify(hs)).not.toContain(fx.world.minted[0])
    expect(fx.gw.logs.text).not.toContain(fx.world.minted[0])
  })

  /** The store, holding a key-share ceremony token for dc2. */
  async function withCeremonyToken() {
    const store = fx.openStore()
    const token = { secondary: 'dc2', token_sealed: Uint8Array.of(1, 2, 3), created_at: '2026-12-06T00:00:00.000Z' }
    await store.putCeremonyToken(token)
    return store
  }

  it("forgets the secondary's key-share ceremony token once it is activated: the activation wiped it from the cluster", async () => {
    const store = await withCeremonyToken()
    try {
      const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
      expect(hs.state).toBe('succeeded')
      expect(await store.getCeremonyToken('dc2')).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('keeps the ceremony token when the secondary refuses the activation: Vault wiped nothing, so the token stays valid', async () => {
    const store = await withCeremonyToken()
    try {
      fx.world.intercept['secondary.activate'] = async () => {
        throw GatewayErrors.agentRejected('secondary-agent: SECONDARY_ERR_ALREADY_SECONDARY: already', {
          upstream: { service: 'secondary-agent', status: 409, code: 'SECONDARY_ERR_ALREADY_SECONDARY' },
        })
      }
      const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
      expect(hs.state).toBe('failed')
      expect(fx.world.activations).toBe(0)
      expect(await store.getCeremonyToken('dc2')).toMatchObject({ created_at: '2026-12-06T00:00:00.000Z' })
    } finally {
      await store.close()
    }
  })

  it("goes on when another pair's role change made its epoch stale at the primary's agent: the lease proven, the epoch taken anew", async () => {
    const store = fx.openStore()
    try {
      let refused = 0
      fx.world.intercept['primary.mintToken'] = async (next) => {
        if (refused > 0) return next()
        refused++
        // A switchover of another pair raised the store's counter, and a call under it reached this agent first.
        await store.bumpEpoch()
        await store.bumpEpoch()
        throw GatewayErrors.agentRejected('primary-agent: AGENT_ERR_STALE_EPOCH: carries an older epoch', {
          upstream: { service: 'primary-agent', status: 409, code: 'AGENT_ERR_STALE_EPOCH' },
        })
      }
      const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
      expect(hs.state, JSON.stringify(hs.error)).toBe('succeeded')
      expect(refused).toBe(1)
      expect(fx.world.calls.filter((c) => c === 'primary.mintToken')).toHaveLength(2)
      expect(hs.token).toMatchObject({ secondary_id: 'dc2', mints: 1 })
      expect(fx.world.activations).toBe(1)
    } finally {
      await store.close()
    }
  })

  it('asks each agent only what it must: status once per cluster before changes, then only while verifying', async () => {
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('succeeded')
    // Preflight reads both statuses and has each agent check its Vault token alongside the primary's self-check; enable returns the primary's new one; the token this run holds answers
    // "already activated?" until it is sent; verify reads the secondary until it streams (at once here), then the
    // primary.
    // Then, once it succeeded, the pair is read for its DR operation token (these fake agents issue none).
    await expect.poll(() => fx.world.calls.length).toBe(16)
    expect(fx.world.calls).toEqual([
      'primary.probeLocal',
      'primary.status',
      'secondary.status',
      'primary.vaultToken',
      'secondary.vaultToken',
      'secondary.probePrimary',
      'primary.enable',
      'primary.probeLocal',
      'secondary.probePrimary',
      'primary.mintToken',
      'secondary.inspect',
      'secondary.activate',
      'secondary.status',
      'primary.status',
      'primary.status',
      'secondary.status',
    ])
    // The primary's status comes narrowed to the handshake's secondary id (a primary may have thousands).
    expect(fx.world.primaryStatusFor.slice(0, 2)).toEqual(['dc2', 'dc2'])
  })

  it('on a pair that already replicates, changes nothing and says so', async () => {
    fx.world.replicate('dc2')
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('succeeded')
    expect(hs.steps[0]).toMatchObject({
      name: 'preflight',
      status: 'succeeded',
      detail: 'already replicating: nothing changed',
    })
    for (const step of hs.steps.slice(1)) {
      expect(step).toMatchObject({ status: 'skipped', detail: 'already replicating: nothing changed' })
    }
    expect(fx.world.calls.filter((c) => /enable|mint|revoke|activate/.test(c))).toEqual([])
  })

  it.each([
    ['a sealed primary', (w: FakeWorld) => (w.primary.sealed = true), 'PRIMARY_SEALED'],
    ['an older secondary', (w: FakeWorld) => (w.secondary.version = '1.16.0+ent'), 'VERSION_SKEW'],
    ['a closed cluster port', (w: FakeWorld) => (w.clusterPort = 'refused'), 'CONNECTION_REFUSED'],
    ['a Community Edition secondary', (w: FakeWorld) => (w.secondary.enterprise = false), 'NOT_ENTERPRISE'],
  ])('stops at preflight with %s, before any token', async (_what, breakIt, code) => {
    breakIt(fx.world)
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.steps[0]).toMatchObject({ status: 'failed', error: { code } })
    expect(hs.error?.code).toBe(code)
    expect(stepStatuses(hs).mint_token).toBe('skipped')
    expect(hs.checks.find((c) => c.code === code)?.status).toBe('fail')
    expect(fx.world.minted).toEqual([])
    expect(fx.world.knownSecondaries.size).toBe(0)
    expect(fx.world.primary.mode).toBe('disabled')
  })

  it("never says a secondary replicates another primary when the primary's DR status could not be read", async () => {
    fx.world.secondary = { ...fx.world.secondary, mode: 'secondary', state: 'stream-wals', clusterId: 'set-1' }
    fx.world.primary = { ...fx.world.primary, mode: 'unknown', clusterId: null }
    const res = await fx.gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2' },
    })
    const role = (res.json().checks as Array<{ name: string }>).find((c) => c.name === 'secondary_role')
    expect(role).toMatchObject({ status: 'fail', code: 'DR_STATUS_UNKNOWN' })
    expect(JSON.stringify(res.json())).not.toContain('SECONDARY_REPLICATES_OTHER_PRIMARY')
  })

  it('refuses an idle DR secondary of this very primary (a demoted old primary) before any token, pointing at a rejoin', async () => {
    fx.world.primary = { ...fx.world.primary, mode: 'primary', state: 'running', clusterId: 'set-1' }
    fx.world.secondary = { ...fx.world.secondary, mode: 'secondary', state: 'idle', clusterId: 'set-1' }
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('SECONDARY_NEEDS_REJOIN')
    // One that only lost its stream (idle too, with the id it was activated as) is this primary's secondary.
    fx.world.secondaryId = 'dc2'
    const res = await fx.gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2' },
    })
    expect(res.json().checks.find((c: { name: string }) => c.name === 'secondary_role')).toMatchObject({
      code: expect.not.stringMatching('SECONDARY_NEEDS_REJOIN'),
    })
    expect(hs.checks.find((c) => c.name === 'secondary_role')?.fix).toContain('POST /v1/rejoins')
    expect(fx.world.calls.filter((c) => /mint|activate/.test(c))).toEqual([])
  })

  it('refuses a secondary of another primary, allow_repoint or not, and skips checks by name', async () => {
    fx.world.secondary = { ...fx.world.secondary, mode: 'secondary', state: 'stream-wals', clusterId: 'another-set' }
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.error?.code).toBe('SECONDARY_REPLICATES_OTHER_PRIMARY')

    fx.world.secondary.sealed = true
    const preflight = async (payload: Record<string, unknown>) => {
      const res = await fx.gw.app.inject({ method: 'POST', url: '/v1/preflight', headers: AUTH, payload })
      expect(res.statusCode, res.body).toBe(200)
      return res.json() as {
        ok: boolean
        checks: Array<{ name: string; status: string; code: string; detail: string }>
      }
    }
    const repoint = await preflight({
      primary: 'dc1',
      secondary: 'dc2',
      skip_checks: ['secondary_vault'],
      allow_repoint: true,
    })
    expect(repoint.ok).toBe(false)
    expect(repoint.checks.find((c) => c.name === 'secondary_vault')).toMatchObject({
      status: 'skipped',
      code: 'SECONDARY_SEALED',
    })
    expect(repoint.checks.find((c) => c.name === 'secondary_role')).toMatchObject({
      status: 'fail',
      code: 'SECONDARY_REPLICATES_OTHER_PRIMARY',
      detail: expect.stringContaining('allow_repoint cannot move it'),
    })
    const skipped = await preflight({
      primary: 'dc1',
      secondary: 'dc2',
      skip_checks: ['secondary_vault', 'secondary_role'],
    })
    expect(skipped.ok).toBe(true)
    expect(fx.world.calls.filter((c) => /enable|mint|activate/.test(c))).toEqual([])
  })

  it('re-checks the cluster port after enabling DR and fails before minting when TLS is terminated', async () => {
    fx.world.clusterPort = 'tls_terminated'
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(stepStatuses(hs)).toMatchObject({ enable_primary: 'succeeded', mint_token: 'failed' })
    expect(hs.error?.code).toBe('TLS_TERMINATED')
    expect(hs.checks.find((c) => c.phase === 'post_enable' && c.code === 'TLS_TERMINATED')?.status).toBe('fail')
    expect(fx.world.minted).toEqual([])
  })

  it("fails preflight when the primary's advertised api_addr reaches another cluster", async () => {
    fx.world.apiReaches = 'some-other-cluster'
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('WRONG_CLUSTER')
    expect(hs.checks.find((c) => c.code === 'WRONG_CLUSTER')).toMatchObject({ status: 'fail', phase: 'preflight' })
    expect(fx.world.calls.filter((c) => /enable|mint|activate/.test(c))).toEqual([])
  })

  it('re-mints once when the token does not look up as valid', async () => {
    let first = true
    fx.world.intercept['secondary.inspect'] = async (next) => {
      if (first) {
        first = false
        for (const t of fx.world.tokens.values()) t.revoked = true
      }
      return next()
    }
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(hs.token?.mints).toBe(2)
    expect(hs.steps.find((s) => s.name === 'inspect_token')?.detail).toContain('re-minted once')
    expect(fx.world.activations).toBe(1)
  })

  it('re-mints a token that would expire before activation', async () => {
    let offset = 0
    fx.world.now = () => Date.now() + offset
    await fx.restart({
      now: () => Date.now() + offset,
      hooks: {
        beforeStep: (_id, step) => {
          // Minted at "now"; by activation 4m50s have passed on every clock: 10 s left, under the 30 s margin.
          if (step === 'activate_secondary') offset = 290_000
        },
      },
    })
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app, { inspect: false })).json().id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(hs.token?.mints).toBe(2)
    expect(fx.world.calls.filter((c) => c === 'primary.revoke')).toHaveLength(1)
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
    expect(fx.world.activations).toBe(1)
  })

  it('fails verify within its deadline, naming what is missing', async () => {
    fx.world.streams = false
    await fx.restart({}, { VAULT_DR_VERIFY_TIMEOUT_MS: '300' })
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('GATEWAY_ERR_VERIFY_TIMEOUT')
    expect(hs.error?.detail).toContain('connection_state is connecting')
    // While the secondary does not stream, only the secondary is asked.
    const waiting = fx.world.calls.slice(fx.world.calls.indexOf('secondary.activate') + 1)
    expect(waiting.filter((c) => c === 'secondary.status').length).toBeGreaterThan(1)
    expect(waiting.filter((c) => c === 'primary.status')).toEqual([])
    // The token was used: it must not be revoked (that would cut the secondary off).
    expect(fx.world.calls).not.toContain('primary.revoke')
  })

  it('counts steps and failures in its metrics', async () => {
    fx.world.primary.sealed = true
    await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    const text = (await fx.gw.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(text).toMatch(/vault_dr_handshakes\{state="failed"[^}]*\} 1/)
    expect(text).toMatch(/vault_dr_handshake_failures_total\{code="PRIMARY_SEALED"[^}]*\} 1/)
    expect(text).toMatch(/vault_dr_handshake_step_duration_seconds_count\{[^}]*step="preflight"[^}]*\} 1/)
    expect(text).toMatch(
      /vault_dr_operation_step_duration_seconds_count\{[^}]*kind="handshake",step="preflight"[^}]*\} 1/,
    )
    expect(text).toMatch(/vault_dr_operations\{kind="handshake",state="failed"[^}]*\} 1/)
    expect(text).toMatch(/vault_dr_operation_failures_total\{kind="handshake",code="PRIMARY_SEALED"[^}]*\} 1/)
  })
})
