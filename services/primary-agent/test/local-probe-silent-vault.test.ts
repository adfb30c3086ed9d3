import { afterEach, describe, expect, it } from 'vitest'
import { startPrimaryAgent, startTestCluster } from './helpers.ts'

describe('probeLocalCluster when its Vault does not answer', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })

  it('says Vault is silent, instead of sending the operator to set cluster_addr; status carries the cause code', async () => {
    const cluster = await startTestCluster({ rootToken: 'root-token-silent-vault-test' })
    const agent = await startPrimaryAgent(cluster)
    closers.push(
      () => agent.close(),
      () => cluster.close(),
    )
    await cluster.faults.stop()

    const probe = await agent.call('POST', '/v1/probes/local')
    expect(probe.status).toBe(200)
    expect(probe.json.cluster).toMatchObject({ code: 'VAULT_UNREACHABLE', reachable: false, dr_alpn: false })
    expect(probe.json.cluster.detail).toContain('not checked: Vault did not answer')
    expect(probe.json.cluster.fix).not.toContain('Set cluster_addr')

    const status = await agent.call('GET', '/v1/status?max_age_ms=0')
    expect(status.json.vault).toMatchObject({ reachable: false, error_code: 'VAULT_ERR_UNREACHABLE' })
    await cluster.faults.start()
  })
})
