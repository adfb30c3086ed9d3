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
import { AUTH, createHandshake, registerPair, stepStatuses, waitFor } from './helpers/gateway.ts'
import { fastTimings, type SimWorld, useSimWorldFixture } from './helpers/sim-world.ts'

/** The cluster listener of a sim cluster, as a middlebox target. */
const listenerOf = (cluster: ClusterHandle) => {
  const url = new URL(cluster.clusterUrl)
  return { host: url.hostname, port: Number(url.port) }
}

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

  const aboutBox = (checks: Check[], box: Middlebox) =>
    checks.filter((c) => c.detail.startsWith(`primary_cluster_addr ${box.url}: `))

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
