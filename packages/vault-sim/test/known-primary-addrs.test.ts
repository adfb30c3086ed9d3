import { describe, expect, it } from 'vitest'
import { startTcpProxy } from '../src/index.ts'
import {
  drStatus,
  enableSecondary,
  secondaryToken,
  useClusters,
  waitForHealth,
  waitForStreaming,
} from './helpers/clusters.ts'
import { drCall } from './helpers/dr-tokens.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

describe('known_primary_cluster_addrs with a primary_cluster_addr in front of the primary', () => {
  const start = useClusters()

  it("lists the primary node's own cluster_addr; primary_cluster_addr serves the first dial only", async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const { hostname, port } = new URL(primary.clusterUrl)
    const balancer = await startTcpProxy({ host: hostname, port: Number(port) })
    try {
      const enabled = await drCall(primary, 'primary/enable', { primary_cluster_addr: balancer.url }, primary.rootToken)
      expect(enabled.status).toBe(200)
      await waitForHealth(primary, 200)
      expect((await drStatus(primary)).primary_cluster_addr).toBe(balancer.url)
      const activation = await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })
      expect(activation.status).toBe(200)

      const streaming = await waitForStreaming(secondary)
      expect(streaming).toMatchObject({
        primary_cluster_addr: balancer.url,
        known_primary_cluster_addrs: [primary.clusterUrl],
      })
      expect(streaming.primaries?.[0]?.cluster_address).toBe(balancer.url)
      const leader = await vault('GET', `${primary.apiUrl}/v1/sys/leader`)
      expect(streaming.known_primary_cluster_addrs).toContain(leader.body.leader_cluster_address)

      // The balancer goes away: the secondary follows the primary at its known address.
      await balancer.close()
      const followed = await waitFor(
        () => drStatus(secondary),
        (s) => s.connection_state === 'ready' && s.primaries?.[0]?.cluster_address === primary.clusterUrl,
        { what: 'the secondary to reconnect at the known address' },
      )
      expect(followed.primary_cluster_addr).toBe(balancer.url)
    } finally {
      await balancer.close()
    }
  })
})
