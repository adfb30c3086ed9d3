import { describe, expect, it } from 'vitest'
import { GatewayErrors } from '../src/gateway-errors.ts'
import { AUTH, createHandshake, register, stepStatuses, waitFor } from './helpers/gateway.ts'
import { STORE_KINDS, useRegisteredGateway } from './helpers/gateway-fixture.ts'

const IN_USE = 'GATEWAY_ERR_SECONDARY_ID_IN_USE'
const NOT_OURS = 'GATEWAY_ERR_SECONDARY_ID_NOT_OURS'
const never = () => new Promise<never>(() => {})

const SUITE = 'a secondary id another DR secondary uses is never revoked (fake agents, %s store)'

describe.each(STORE_KINDS)(SUITE, (kind) => {
  const fx = useRegisteredGateway({}, kind)

  /** The primary already replicates to a live DR secondary, elsewhere, under the id dc3. */
  function liveSecondaryElsewhere() {
    fx.world.primary = { ...fx.world.primary, mode: 'primary', state: 'running', clusterId: 'repl-set-1' }
    fx.world.knownSecondaries.add('dc3')
    fx.world.connected.add('dc3')
  }
  const touched = () => fx.world.calls.filter((c) => /revoke|mint|activate/.test(c))

  it('fails the secondary_id_free check before anything changes, in the handshake and the dry run', async () => {
    liveSecondaryElsewhere()
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app, { secondary_id: 'dc3' })).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe(IN_USE)
    expect(hs.checks.find((c) => c.name === 'secondary_id_free')).toMatchObject({
      status: 'fail',
      code: IN_USE,
      fix: expect.stringContaining('Choose another secondary_id'),
    })
    expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', enable_primary: 'skipped', mint_token: 'skipped' })
    expect(touched()).toEqual([])
    expect(fx.world.connected.has('dc3')).toBe(true)

    const payload = { primary: 'dc1', secondary: 'dc2', secondary_id: 'dc3' }
    const dry = await fx.gw.app.inject({ method: 'POST', url: '/v1/preflight', headers: AUTH, payload })
    expect(dry.statusCode, dry.body).toBe(200)
    expect(dry.json().ok).toBe(false)
    const free = await fx.gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { ...payload, secondary_id: 'dc2' },
    })
    expect(free.json().checks.find((c: { name: string }) => c.name === 'secondary_id_free')?.status).toBe('pass')
  })

  it('skipping the check by name still never revokes it: mint_token fails with the same code', async () => {
    liveSecondaryElsewhere()
    const res = await createHandshake(fx.gw.app, { secondary_id: 'dc3', skip_checks: ['secondary_id_free'] })
    const hs = await waitFor(fx.gw.app, res.json().id)
    expect(hs.checks.find((c) => c.name === 'secondary_id_free')?.status).toBe('skipped')
    expect(stepStatuses(hs)).toMatchObject({ enable_primary: 'skipped', mint_token: 'failed' })
    expect(hs.error?.code).toBe(IN_USE)
    expect(hs.error?.detail).toContain('left secondary id dc3 alone: another DR secondary of the primary uses it')
    expect(touched()).toEqual([])
    expect(fx.world.connected.has('dc3')).toBe(true)
  })

  it('revokes an unused id an earlier handshake of this gateway minted, and mints anew', async () => {
    // The earlier attempt fails after minting and cannot revoke its id (the primary agent is unreachable then).
    fx.world.intercept['secondary.activate'] = async () => {
      throw GatewayErrors.agentRejected('secondary-agent: SECONDARY_ERR_CA_FILE: ca_file is not readable', {
        upstream: { service: 'secondary-agent', status: 400, code: 'SECONDARY_ERR_CA_FILE' },
      })
    }
    fx.world.intercept['primary.revoke'] = async () => {
      throw GatewayErrors.agentUnreachable('primary-agent: connection refused')
    }
    const first = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(first.state).toBe('failed')
    expect(first.error?.detail).toContain('could not revoke the unused secondary id dc2 now')
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])

    fx.world.intercept = {}
    fx.world.calls.length = 0
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(hs.checks.find((c) => c.name === 'secondary_id_free')).toMatchObject({ status: 'pass' })
    expect(touched()).toEqual(['primary.revoke', 'primary.mintToken', 'secondary.activate'])
  })

  it('never revokes an unused id this gateway did not mint (by hand, another tool): stops before any change', async () => {
    fx.world.primary = { ...fx.world.primary, mode: 'primary', state: 'running', clusterId: 'repl-set-1' }
    fx.world.knownSecondaries.add('dc2')
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe(NOT_OURS)
    expect(hs.checks.find((c) => c.name === 'secondary_id_free')).toMatchObject({
      status: 'fail',
      code: NOT_OURS,
      fix: expect.stringContaining('revoke it on the primary'),
    })
    expect(touched()).toEqual([])
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])

    // Skipping the check by name changes nothing: mint_token refuses with the same code, still revoking nothing.
    const skipped = await waitFor(
      fx.gw.app,
      (await createHandshake(fx.gw.app, { skip_checks: ['secondary_id_free'] })).json().id,
    )
    expect(stepStatuses(skipped)).toMatchObject({ mint_token: 'failed' })
    expect(skipped.error?.code).toBe(NOT_OURS)
    expect(touched()).toEqual([])
  })

  it('never revokes an id someone mints by hand between its status read and its own mint', async () => {
    let first = true
    fx.world.intercept['primary.mintToken'] = async (next) => {
      if (first) {
        first = false
        fx.world.knownSecondaries.add('dc2') // minted by hand, never used: the agent answers "exists"
      }
      return next()
    }
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe(NOT_OURS)
    expect(fx.world.calls).not.toContain('primary.revoke')
    expect(fx.world.knownSecondaries.has('dc2')).toBe(true)
  })

  it('records its mint asked again (the first refused for an id minted by hand, revoked since) before sending it', async () => {
    let mints = 0
    const recordedAtSecond: Array<string | null | undefined> = []
    fx.world.intercept['primary.mintToken'] = async (next) => {
      mints++
      if (mints === 1) {
        // Minted by hand between the status read and this mint, then revoked by hand before the look again.
        fx.world.knownSecondaries.add('dc2')
        try {
          return await next()
        } finally {
          fx.world.knownSecondaries.delete('dc2')
        }
      }
      const store = fx.openStore()
      try {
        const [hs] = await store.listHandshakes({ limit: 1 })
        recordedAtSecond.push(hs?.mint_requested_at)
      } finally {
        await store.close()
      }
      return next()
    }
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(mints).toBe(2)
    // Written before the second ask reached the agent: a crash then leaves an id this gateway knows it asked for.
    expect(recordedAtSecond).toEqual([expect.stringMatching(/^\d{4}-/)])
  })

  it('on failure, leaves alone an id another secondary took meanwhile', async () => {
    // The token was used elsewhere before this secondary got it: activation is refused, the id now has a peer.
    fx.world.intercept['secondary.activate'] = async (next) => {
      fx.world.peers.add('dc2')
      fx.world.connected.add('dc2')
      for (const t of fx.world.tokens.values()) t.used = true
      return next()
    }
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.detail).toContain('left secondary id dc2 alone')
    expect(fx.world.calls).not.toContain('primary.revoke')
    expect(fx.world.connected.has('dc2')).toBe(true)
  })

  it('refuses a second unfinished handshake with the same primary and secondary id (409)', async () => {
    await fx.restart({ stopGraceMs: 0, hooks: { beforeStep: () => never() } })
    await register(fx.gw.app, 'dc3', 'secondary', 'http://dc3-agent:8420', 'dc3-agent-token-0123456789')
    expect((await createHandshake(fx.gw.app, { secondary_id: 'shared' })).statusCode).toBe(202)
    const second = await createHandshake(fx.gw.app, { secondary: 'dc3', secondary_id: 'shared' })
    expect(second.statusCode, second.body).toBe(409)
    expect(second.json()).toMatchObject({ code: 'GATEWAY_ERR_HANDSHAKE_IN_PROGRESS' })
    expect(second.json().detail).toContain('secondary_id shared on primary dc1')
    expect((await createHandshake(fx.gw.app, { secondary: 'dc3', secondary_id: 'dc3' })).statusCode).toBe(202)
  })
})
