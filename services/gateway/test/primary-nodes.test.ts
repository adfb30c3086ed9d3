import { startCluster, startTcpProxy } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { createHandshake, registerPair, waitFor } from './helpers/gateway.ts'
import { closedPort, fastTimings, useSimWorldFixture } from './helpers/sim-world.ts'

describe("after activation, the primary's other nodes (known_primary_cluster_addrs) are probed from the secondary", () => {
  const fx = useSimWorldFixture()

  async function handshakeWithStandbys(standbyClusterAddrs: string[]) {
    const sim = await fx.world({ primary: { standbyClusterAddrs } })
    const gw = await fx.gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('succeeded')
    expect(sim.secondary.state().drStatus.known_primary_cluster_addrs).toEqual([
      sim.primary.clusterUrl,
      ...standbyClusterAddrs,
    ])
    const nodes = hs.checks.filter((c) => c.phase === 'post_activation')
    const verify = hs.steps.find((s) => s.name === 'verify')
    return { nodes, verify }
  }

  it('warns about a node the secondary cannot reach, with a fix, and still succeeds (it streams now)', async () => {
    const unreachable = `https://127.0.0.1:${await closedPort()}`
    const { nodes, verify } = await handshakeWithStandbys([unreachable])
    expect(nodes).toEqual([
      expect.objectContaining({
        name: 'node_cluster_tcp',
        status: 'warn',
        code: 'CONNECTION_REFUSED',
        detail: expect.stringContaining(`primary node ${unreachable}: `),
        fix: expect.stringContaining('known_primary_cluster_addrs'),
      }),
    ])
    expect(verify?.detail).toContain('1 not reachable from the secondary (replication would stop')
  })

  it('probes each other node at its own address, written with or without a scheme', async () => {
    const refused = await closedPort()
    const standby = await startCluster({ name: 'sim-standby', timings: fastTimings })
    fx.closers.push(() => standby.close())
    const { nodes } = await handshakeWithStandbys([`127.0.0.1:${refused}`, standby.clusterUrl])
    expect(nodes.map((c) => [c.name, c.status, c.code, c.detail.split(': ')[0]])).toEqual([
      ['node_cluster_tcp[0]', 'warn', 'CONNECTION_REFUSED', `primary node https://127.0.0.1:${refused}`],
      ['node_cluster_tcp[1]', 'pass', 'OK', `primary node ${standby.clusterUrl}`],
      ['node_cluster_tls[1]', 'pass', 'DR_NOT_ENABLED', `primary node ${standby.clusterUrl}`],
    ])
  })

  it("passes a standby whose cluster listener refuses DR (it serves DR once active), and the active node isn't probed again", async () => {
    // A cluster that is no DR primary refuses ALPN replication_dr_v1 as a standby node of the primary does.
    const standby = await startCluster({ name: 'sim-standby', timings: fastTimings })
    fx.closers.push(() => standby.close())
    const { nodes, verify } = await handshakeWithStandbys([standby.clusterUrl])
    expect(nodes.map((c) => [c.name, c.status, c.code])).toEqual([
      ['node_cluster_tcp', 'pass', 'OK'],
      ['node_cluster_tls', 'pass', 'DR_NOT_ENABLED'],
    ])
    expect(verify?.detail).toContain('all reachable from the secondary')
  })

  it('says the secondary would fall back to the primary_cluster_addr it was given (a load balancer)', async () => {
    const unreachable = `https://127.0.0.1:${await closedPort()}`
    const sim = await fx.world({ primary: { standbyClusterAddrs: [unreachable] } })
    const node = new URL(sim.primary.clusterUrl)
    const lb = await startTcpProxy({ host: node.hostname, port: Number(node.port) })
    fx.closers.push(lb.close)
    const gw = await fx.gateway()
    await registerPair(gw.app, sim.primaryUrl, sim.secondaryUrl)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app, { primary_cluster_addr: lb.url })).json().id)
    expect(hs.state, JSON.stringify(hs.checks, null, 1)).toBe('succeeded')
    // The active node is probed too (the secondary reached it through the balancer), and serves DR.
    const nodes = hs.checks.filter((c) => c.phase === 'post_activation')
    expect(nodes.map((c) => [c.name, c.status, c.code])).toEqual([
      ['node_cluster_tcp[0]', 'pass', 'OK'],
      ['node_cluster_tls[0]', 'pass', 'OK'],
      ['node_cluster_tcp[1]', 'warn', 'CONNECTION_REFUSED'],
    ])
    expect(nodes[2]?.fix).toContain(`falls back to primary_cluster_addr ${lb.url}`)
    expect(hs.steps.find((s) => s.name === 'verify')?.detail).toContain(
      `1 not reachable from the secondary (it would fall back to primary_cluster_addr ${lb.url})`,
    )
  })

  it('probes nothing more for a single-node primary', async () => {
    const { nodes, verify } = await handshakeWithStandbys([])
    expect(nodes).toEqual([])
    expect(verify?.detail).not.toContain('other nodes')
  })
})
