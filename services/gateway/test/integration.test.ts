import { setTimeout as sleep } from 'node:timers/promises'
import { startTlsTerminatingProxy } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import type { StepName } from '../src/handshakes/handshakes.schemas.ts'
import {
  AUTH,
  createHandshake,
  PRIMARY_AGENT_TOKEN,
  registerPair,
  SECONDARY_AGENT_TOKEN,
  type startGateway,
  stepStatuses,
  storeBytes,
  waitFor,
} from './helpers/gateway.ts'
import { closedPort, type SimWorld, useSimWorldFixture } from './helpers/sim-world.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>
const never = () => new Promise<never>(() => {})

describe('handshakes against two vault-sim clusters and the real agents', () => {
  const fx = useSimWorldFixture()
  const { gateways, closers } = fx
  let sim: SimWorld
  const gateway = fx.gateway

  const activations = () => sim.count(/^\[sim-dc2\] dr: enabled as secondary/)
  const known = () => sim.primary.state().knownSecondaries

  it('runs a full handshake, and a re-run changes nothing', async () => {
    sim = await fx.world()
    const gw = await gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs, null, 1)).toBe('succeeded')
    expect(Object.values(stepStatuses(hs))).toEqual(Array(6).fill('succeeded'))
    expect(hs.checks.filter((c) => c.status === 'fail')).toEqual([])
    expect(hs.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['api_tcp', 'cluster_tls', 'version_compatible']),
    )
    const dc2 = sim.secondary.state()
    expect(dc2).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
    expect(dc2.replicationClusterId).toBe(sim.primary.state().replicationClusterId)
    expect(known()).toEqual(['dc2'])
    expect(activations()).toBe(1)

    const eventsBefore = sim.count(/dr: /)
    const again = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(again.state).toBe('succeeded')
    expect(
      again.steps.slice(1).every((s) => s.status === 'skipped' && s.detail === 'already replicating: nothing changed'),
    ).toBe(true)
    expect(sim.count(/dr: /)).toBe(eventsBefore)

    // Secrets: agent tokens, activation tokens and both clusters' root tokens appear nowhere we write.
    const answers = [
      await gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH }),
      await gw.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH }),
    ]
      .map((r) => r.body)
      .join('\n')
    expect(answers).toContain('stream-wals')
    await gw.app.close()
    gateways.splice(0)
    const secrets = [
      PRIMARY_AGENT_TOKEN,
      SECONDARY_AGENT_TOKEN,
      sim.primary.rootToken,
      sim.secondary.rootToken,
      ...fx.rec.minted,
    ]
    expect(fx.rec.minted).toHaveLength(1)
    const bytes = storeBytes(fx.dir)
    // The agents' logs are captured too: the secondary agent logged the activation it was handed.
    expect(sim.agentLogs.lines.map((l) => l.msg)).toContain(
      'activating this cluster as a DR secondary (its data will be wiped)',
    )
    for (const secret of secrets) {
      expect(bytes).not.toContain(secret)
      expect(gw.logs.text).not.toContain(secret)
      expect(sim.agentLogs.text).not.toContain(secret)
      expect(answers).not.toContain(secret)
    }
  })

  it.each([
    ['a closed cluster port', (s: SimWorld) => s.primary.faults.closeClusterListener(), 'CONNECTION_REFUSED'],
    ['a sealed primary', async (s: SimWorld) => s.primary.faults.seal(), 'PRIMARY_SEALED'],
  ])('stops at preflight with %s, before any token', async (_what, breakIt, code) => {
    sim = await fx.world()
    await breakIt(sim)
    const gw = await gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', mint_token: 'skipped' })
    expect(hs.checks.filter((c) => c.status === 'fail').map((c) => c.code)).toContain(code)
    expect(fx.rec.minted).toEqual([])
    expect(known()).toEqual([])
    expect(sim.count(/issued an activation token/)).toBe(0)
    expect(sim.secondary.state().drMode).toBe('disabled')
  })

  it.each([
    ['', false],
    [', even when the primary agent checks its own listener', true],
  ])('stops before any token when a TLS-terminating proxy sits on the cluster port%s', async (_what, own) => {
    // The secondary agent tells a middlebox's certificate from Vault's listener even before DR is enabled.
    // Its upstream is a closed port: it terminates TLS itself and forwards nothing.
    const proxy = await startTlsTerminatingProxy({ host: '127.0.0.1', port: await closedPort() })
    closers.push(proxy.close)
    sim = await fx.world({ primary: { clusterAdvertiseAddr: proxy.url }, primaryAgentProbesOwnListener: own })
    const gw = await gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('failed')
    expect(hs.checks.some((c) => c.code === 'TLS_TERMINATED' && c.status === 'fail')).toBe(true)
    expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', mint_token: 'skipped' })
    expect(sim.primary.state().drMode).toBe('disabled')
    expect(fx.rec.minted).toEqual([])
    expect(known()).toEqual([])
  })

  it.each<StepName>(['enable_primary', 'mint_token', 'inspect_token', 'activate_secondary', 'verify'])(
    'completes exactly once when the gateway dies before %s',
    async (step) => {
      sim = await fx.world()
      let closed!: Promise<void>
      const first = await gateway({
        stopGraceMs: 0,
        hooks: {
          beforeStep: (_id, s) => {
            if (s !== step) return
            closed = first.app.close()
            return never()
          },
        },
      })
      await registerPair(first.app, sim.primaryUrl, sim.secondaryUrl)
      const id = (await createHandshake(first.app)).json().id as string
      while (closed === undefined) await sleep(10)
      await closed
      gateways.splice(0)
      const second = await gateway()
      const hs = await waitFor(second.app, id)
      expect(hs.state, JSON.stringify(hs.steps, null, 1)).toBe('succeeded')
      expect(activations()).toBe(1)
      expect(known()).toEqual(['dc2'])
      expect(sim.secondary.state()).toMatchObject({ drState: 'stream-wals', secondaryId: 'dc2' })
    },
  )

  it.each([['primary.mintToken'], ['secondary.activate']])(
    'completes exactly once when the gateway dies right after %s reached the agent',
    async (call) => {
      sim = await fx.world()
      let closed: Promise<void> | undefined
      const holder: { gw?: Gateway } = {}
      fx.rec.intercept[call] = async (next) => {
        delete fx.rec.intercept[call]
        await next()
        closed = holder.gw?.app.close()
        return never()
      }
      holder.gw = await gateway({ stopGraceMs: 0 })
      await registerPair(holder.gw.app, sim.primaryUrl, sim.secondaryUrl)
      const id = (await createHandshake(holder.gw.app)).json().id as string
      while (closed === undefined) await sleep(10)
      await closed
      gateways.splice(0)
      const hs = await waitFor((await gateway()).app, id)
      expect(hs.state, JSON.stringify(hs.steps, null, 1)).toBe('succeeded')
      expect(activations()).toBe(1)
      expect(known()).toEqual(['dc2'])
      // The primary holds no valid unused token: every token but the one consumed was revoked.
      expect(sim.count(/issued an activation token/)).toBe(fx.rec.minted.length)
      expect(sim.count(/revoked secondary dc2/)).toBe(fx.rec.minted.length - 1)
    },
  )

  it('re-mints a token that would expire before it is handed over', async () => {
    sim = await fx.world()
    // Before inspect_token the gateway's clock jumps 4m50s ahead (as if it had stalled since minting): the 5m token
    // has 10 s left, under the 30 s margin. The clusters' clocks do not move, so minting again puts them back in step.
    let offset = 0
    fx.rec.intercept['primary.mintToken'] = (next) => {
      offset = 0
      return next()
    }
    const gw = await gateway({
      now: () => Date.now() + offset,
      hooks: {
        beforeStep: (_id, step) => {
          if (step === 'inspect_token') offset = 290_000
        },
      },
    })
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app, { token_ttl: '5m' })).json().id)
    expect(hs.state, JSON.stringify(hs.steps, null, 1)).toBe('succeeded')
    expect(hs.token?.mints).toBe(2)
    expect(gw.logs.lines.filter((l) => l.msg === 'minting the activation token anew')).toHaveLength(1)
    expect(sim.count(/issued an activation token/)).toBe(2)
    expect(sim.count(/revoked secondary dc2/)).toBe(1)
    expect(activations()).toBe(1)
    expect(known()).toEqual(['dc2'])
  })

  it('runs the preflight alone as a dry run, changing nothing', async () => {
    sim = await fx.world()
    const gw = await gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ ok: true, already_replicating: false })
    expect(sim.primary.state().drMode).toBe('disabled')
    expect((await gw.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH })).json().handshakes).toEqual([])
    const fleet = await gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH })
    expect(fleet.json().clusters.map((c: { agent: { reachable: boolean } }) => c.agent.reachable)).toEqual([true, true])
  })
})
