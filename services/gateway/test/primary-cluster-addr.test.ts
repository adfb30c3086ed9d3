import { HEALTH_ANSWERS, pollUntil, VaultClient } from '@vault-dr/core'
import {
  type ClusterHandle,
  type Middlebox,
  startCluster,
  startTcpProxy,
  startTlsTerminatingProxy,
} from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import type { Check } from '../src/preflight/preflight.schemas.ts'
import { freePort } from './helpers/free-port.ts'
import { AUTH, createHandshake, registerPair, stepStatuses, waitFor } from './helpers/gateway.ts'
import { fastTimings, type SimWorld, useSimWorldFixture } from './helpers/sim-world.ts'

/** The cluster listener of a sim cluster, as a middlebox target. */
const listenerOf = (cluster: ClusterHandle) => {
  const url = new URL(cluster.clusterUrl)
  return { host: url.hostname, port: Number(url.port) }
}

/** The checks about the address a box listens on, when it is the primary_cluster_addr probed. */
const aboutBox = (checks: Check[], box: Middlebox) =>
  checks.filter((c) => c.detail.startsWith(`primary_cluster_addr ${box.url}: `))

/** What an operator does by hand before vault-dr runs: enable DR primary with primary_cluster_addr set to an LB. */
async function enablePrimaryBehind(cluster: ClusterHandle, primaryClusterAddr: string): Promise<void> {
  const vault = new VaultClient({ addr: cluster.apiUrl, token: cluster.rootToken, caPem: cluster.apiCaPem })
  try {
    await vault.write('sys/replication/dr/primary/enable', { primary_cluster_addr: primaryClusterAddr })
    const ready = await pollUntil(
      async () => {
        const res = await vault.read('sys/health', { token: null, accept: HEALTH_ANSWERS }).catch(() => undefined)
        return res?.status === 200 && res.body?.replication_dr_mode === 'primary' ? true : undefined
      },
      { timeoutMs: 5_000, intervalMs: 20 },
    )
    expect(ready, 'the primary is a running DR primary again').toBe(true)
  } finally {
    await vault.close()
  }
}

describe("the primary's primary_cluster_addr (the address secondaries dial first) is probed before any token", () => {
  const fx = useSimWorldFixture()
  let sim: SimWorld

  /** The two clusters and agents, the primary already a DR primary whose primary_cluster_addr is `box`. */
  async function primaryBehind(start: (target: { host: string; port: number }) => Promise<Middlebox>) {
    sim = await fx.world()
    const box = await start(listenerOf(sim.primary))
    fx.closers.push(box.close)
    await enablePrimaryBehind(sim.primary, box.url)
    expect(sim.primary.state().drStatus.primary_cluster_addr).toBe(box.url)
    const gw = await fx.gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    return { box, gw }
  }

  it('a TLS-terminating proxy there fails the cluster check at preflight: nothing minted, the secondary untouched', async () => {
    const { box, gw } = await primaryBehind(startTlsTerminatingProxy)

    const dryRun = await gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2' },
    })
    expect(dryRun.statusCode, dryRun.body).toBe(200)
    expect(dryRun.json().ok).toBe(false)
    expect(aboutBox(dryRun.json().checks, box).map((c) => [c.name, c.status, c.code])).toContainEqual([
      'cluster_tls[0]',
      'fail',
      'TLS_TERMINATED',
    ])

    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('failed')
    expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', mint_token: 'skipped' })
    const terminated = aboutBox(hs.checks, box).find((c) => c.code === 'TLS_TERMINATED' && c.status === 'fail')
    expect(terminated?.fix).toContain('configure TCP passthrough on 8201')
    expect(hs.error?.code).toBe('TLS_TERMINATED')
    // The node's own cluster_addr is fine: only the address handed to secondaries is broken.
    expect(hs.checks.find((c) => c.name === 'cluster_fingerprint[1]')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining(`cluster_addr ${sim.primary.clusterUrl}: `),
    })
    expect(fx.rec.minted).toEqual([])
    expect(sim.primary.state().knownSecondaries).toEqual([])
    expect(sim.count(/issued an activation token/)).toBe(0)
    expect(sim.secondary.state().drMode).toBe('disabled')
  })

  it("a TCP passthrough there passes with the primary's own certificate, and the secondary replicates through it", async () => {
    const { box, gw } = await primaryBehind(startTcpProxy)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('succeeded')
    expect(
      aboutBox(hs.checks, box)
        .filter((c) => c.name === 'cluster_tls[0]' || c.name === 'cluster_fingerprint[0]')
        .map((c) => [c.name, c.status]),
    ).toEqual([
      ['cluster_tls[0]', 'pass'],
      ['cluster_fingerprint[0]', 'pass'],
    ])
    expect(sim.secondary.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
    // Vault handed the box's address to the secondary, which dialled it first.
    expect(sim.secondary.state().drStatus.primary_cluster_addr).toBe(box.url)
  })

  it('one that reaches a node without DR (a standby behind the load balancer) fails preflight, not just warns', async () => {
    // A cluster that is no DR primary refuses ALPN replication_dr_v1 the way a standby of the primary does.
    const standby = await startCluster({
      name: 'sim-standby',
      apiAddr: '127.0.0.1:0',
      clusterAddr: '127.0.0.1:0',
      timings: fastTimings,
    })
    fx.closers.push(() => standby.close())
    const { box, gw } = await primaryBehind(() => startTcpProxy(listenerOf(standby)))
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('failed')
    expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', mint_token: 'skipped' })
    const refused = aboutBox(hs.checks, box).find((c) => c.code === 'DR_NOT_ENABLED')
    expect(refused?.status).toBe('fail')
    expect(refused?.fix).toContain('/v1/sys/health')
    expect(fx.rec.minted).toEqual([])
    expect(sim.secondary.state().drMode).toBe('disabled')
  })
})

describe('a handshake that asks for primary_cluster_addr enables the primary with it, after probing it', () => {
  const fx = useSimWorldFixture()

  async function pairWithBox(start: (target: { host: string; port: number }) => Promise<Middlebox>) {
    const sim = await fx.world()
    const box = await start(listenerOf(sim.primary))
    fx.closers.push(box.close)
    const gw = await fx.gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    return { sim, box, gw }
  }

  it('through a TCP passthrough: the primary hands it out and the secondary replicates through it', async () => {
    const { sim, box, gw } = await pairWithBox(startTcpProxy)
    const created = await createHandshake(gw.app, { primary_cluster_addr: box.url })
    expect(created.statusCode, created.body).toBe(202)
    expect(created.json().options.primary_cluster_addr).toBe(box.url)
    const hs = await waitFor(gw.app, created.json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('succeeded')
    expect(hs.checks.find((c) => c.name === 'primary_cluster_addr')).toMatchObject({
      status: 'pass',
      phase: 'preflight',
      detail: `enable_primary will enable DR with primary_cluster_addr ${box.url}`,
    })
    // Before enabling, the box leads to a listener that refuses DR as Vault's does; after, to the primary's own cert.
    const atBox = (phase: string) =>
      aboutBox(hs.checks, box)
        .filter((c) => c.phase === phase && c.name.startsWith('cluster_'))
        .map((c) => [c.name, c.status, c.code])
    expect(atBox('preflight')).toContainEqual(['cluster_tls[0]', 'warn', 'DR_NOT_ENABLED'])
    expect(atBox('post_enable')).toContainEqual(['cluster_fingerprint[0]', 'pass', 'OK'])
    expect(sim.primary.state().drStatus.primary_cluster_addr).toBe(box.url)
    expect(sim.secondary.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
    expect(sim.secondary.state().drStatus.primary_cluster_addr).toBe(box.url)
  })

  it('through a TLS-terminating proxy: preflight fails and nothing changes on either cluster', async () => {
    const { sim, box, gw } = await pairWithBox(startTlsTerminatingProxy)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app, { primary_cluster_addr: box.url })).json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('failed')
    expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', enable_primary: 'skipped', mint_token: 'skipped' })
    expect(hs.error?.code).toBe('TLS_TERMINATED')
    expect(sim.primary.state().drMode).toBe('disabled')
    expect(fx.rec.minted).toEqual([])
    expect(sim.secondary.state().drMode).toBe('disabled')
  })

  it('on a DR primary that hands out another address: check primary_cluster_addr fails, naming both', async () => {
    const { sim, box, gw } = await pairWithBox(startTcpProxy)
    await enablePrimaryBehind(sim.primary, box.url)
    // Another address (on loopback, nothing listening there): the check compares addresses, whatever answers.
    const other = `https://127.0.0.1:${await freePort('127.0.0.1')}`

    const dryRun = await gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2', primary_cluster_addr: other },
    })
    expect(dryRun.statusCode, dryRun.body).toBe(200)
    const check = (dryRun.json().checks as Check[]).find((c) => c.name === 'primary_cluster_addr')
    expect(check).toMatchObject({ status: 'fail', code: 'PRIMARY_CLUSTER_ADDR_DIFFERS' })
    expect(check?.detail).toContain(box.url)
    expect(check?.detail).toContain(other)

    const hs = await waitFor(gw.app, (await createHandshake(gw.app, { primary_cluster_addr: other })).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('PRIMARY_CLUSTER_ADDR_DIFFERS')
    expect(sim.primary.state().drStatus.primary_cluster_addr).toBe(box.url)
    expect(fx.rec.minted).toEqual([])

    // The address it does hand out, written with a trailing slash, is the same one.
    const same = `${box.url}/`
    const again = await waitFor(gw.app, (await createHandshake(gw.app, { primary_cluster_addr: same })).json().id)
    expect(again.state, JSON.stringify(again.checks, null, 1)).toBe('succeeded')
    expect(stepStatuses(again)).toMatchObject({ enable_primary: 'skipped' })
  })

  it('refuses an address that is not an http(s) URL with 400 naming the field, and creates nothing', async () => {
    const { gw } = await pairWithBox(startTcpProxy)
    const res = await createHandshake(gw.app, { primary_cluster_addr: '10.0.0.1:8201' })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.body).toContain('primary_cluster_addr')
    const list = await gw.app.inject({ method: 'GET', url: '/v1/handshakes', headers: AUTH })
    expect(list.json().handshakes).toEqual([])
  })
})
