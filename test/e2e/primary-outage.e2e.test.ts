import { afterAll, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

let stack: E2EStack
afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

async function secondaryReplication() {
  const res = await stack.gatewayApi.GET('/v1/clusters/{name}', { params: { path: { name: 'dc2' } } })
  const agent = res.data?.agent
  return agent?.reachable ? agent.status.replication : null
}

describe('the primary cluster stops after the handshake', () => {
  it("shows the secondary's connection failing, and recovering when the primary is back", async () => {
    stack = await startE2EStack()
    const done = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(done.state).toBe('succeeded')

    await stack.primary.faults.stop()
    await expect
      .poll(async () => (await secondaryReplication())?.connection_state, { timeout: 10_000, interval: 100 })
      .toMatch(/transient_failure|connecting/)
    expect((await secondaryReplication())?.primaries[0]?.connection_status).toBe('disconnected')

    await stack.primary.faults.start()
    await expect
      .poll(async () => (await secondaryReplication())?.connection_state, { timeout: 10_000, interval: 100 })
      .toBe('ready')
    await expect.poll(async () => (await secondaryReplication())?.state, { timeout: 10_000 }).toBe('stream-wals')
  })
})

describe("the primary's cluster port closes once the secondary is activated, before it streams", () => {
  it('verify fails naming the unreachable cluster port, with a fix that says re-running only verifies', async () => {
    const s = await startE2EStack({ gatewayEnv: { VAULT_DR_VERIFY_TIMEOUT_MS: '3000' } })
    try {
      // The activation dials the cluster port itself, so it closes once Vault activated the secondary.
      const { id } = await createHandshake(s)
      await expect
        .poll(() => s.simEvents.some((e) => e.includes('enabled as secondary')), { timeout: 30_000, interval: 2 })
        .toBe(true)
      await s.primary.faults.closeClusterListener()
      const done = await waitForHandshake(s, id)
      expect(done.state).toBe('failed')
      expect(done.error?.code).toBe('GATEWAY_ERR_VERIFY_TIMEOUT')
      expect(done.error?.detail).toContain("the primary's cluster port is not reachable from the secondary")
      expect(done.error?.detail).toContain('CONNECTION_REFUSED')
      expect(done.error?.fix).toContain('Open tcp/8201')
      expect(done.error?.fix).toContain('running the handshake again only verifies')
    } finally {
      await s.close()
    }
  })
})
