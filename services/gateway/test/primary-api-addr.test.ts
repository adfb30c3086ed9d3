import { describe, expect, it } from 'vitest'
import type { Check } from '../src/preflight/preflight.schemas.ts'
import { AUTH, createHandshake, registerPair, stepStatuses, waitFor } from './helpers/gateway.ts'
import { useSimWorldFixture } from './helpers/sim-world.ts'

/** Nothing listens on port 1 of loopback: an api_addr the secondary cannot reach (a private node address, say). */
const UNREACHABLE = 'https://127.0.0.1:1'

describe("a handshake's primary_api_addr: where the secondary unwraps when the primary's api_addr is out of reach", () => {
  const fx = useSimWorldFixture()

  async function unreachableApiAddr() {
    const sim = await fx.world({ primary: { apiAdvertiseAddr: UNREACHABLE } })
    const gw = await fx.gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    return { sim, gw }
  }

  const apiChecks = (checks: Check[]) =>
    checks.filter((c) => c.name.startsWith('api_') && c.phase === 'preflight').map((c) => [c.name, c.status, c.code])

  it('without it, preflight fails on the advertised address and nothing changes', async () => {
    const { sim, gw } = await unreachableApiAddr()
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(apiChecks(hs.checks)).toContainEqual(['api_tcp', 'fail', 'CONNECTION_REFUSED'])
    expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', enable_primary: 'skipped' })
    expect(sim.primary.state().drMode).toBe('disabled')
    expect(fx.rec.minted).toEqual([])
  })

  it('with it, preflight probes it instead, and inspection and activation unwrap there', async () => {
    const { sim, gw } = await unreachableApiAddr()
    const created = await createHandshake(gw.app, { primary_api_addr: sim.primary.apiUrl })
    expect(created.statusCode, created.body).toBe(202)
    expect(created.json().options.primary_api_addr).toBe(sim.primary.apiUrl)
    const hs = await waitFor(gw.app, created.json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('succeeded')
    // DR is not on yet; a WRONG_CLUSTER here would mean the address reaches another cluster.
    expect(apiChecks(hs.checks)).toContainEqual(['api_vault', 'warn', 'DR_NOT_ENABLED'])
    const target = new URL(sim.primary.apiUrl).host
    expect(hs.checks.find((c) => c.name === 'api_tcp')?.detail).toContain(target)
    expect(stepStatuses(hs)).toMatchObject({ inspect_token: 'succeeded', activate_secondary: 'succeeded' })
    expect(sim.secondary.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
  })

  it('one that reaches another cluster fails api_vault WRONG_CLUSTER before anything changes', async () => {
    const { sim, gw } = await unreachableApiAddr()
    const dryRun = await gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2', primary_api_addr: sim.secondary.apiUrl },
    })
    expect(dryRun.statusCode, dryRun.body).toBe(200)
    expect(dryRun.json().ok).toBe(false)
    expect(apiChecks(dryRun.json().checks)).toContainEqual(['api_vault', 'fail', 'WRONG_CLUSTER'])
    expect(sim.primary.state().drMode).toBe('disabled')
  })

  it('refuses an address with a path with 400 naming the field, and creates nothing', async () => {
    const { sim, gw } = await unreachableApiAddr()
    const res = await createHandshake(gw.app, { primary_api_addr: `${sim.primary.apiUrl}/v1/sys` })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors).toEqual([{ path: 'body/primary_api_addr', message: expect.stringContaining('path') }])
    const list = await gw.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH })
    expect(list.json().handshakes).toEqual([])
  })
})
