import { afterAll, describe, expect, it } from 'vitest'
import type { ChildService } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import type { VaultGate } from '../helpers/vault-gate.ts'

let stack: E2EStack
afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

/**
 * Sends a request that needs Vault while Vault's answers are held at the gates, waits until it does (the request is
 * in the service), sends SIGTERM and waits until the service says it is shutting down; only then lets Vault answer.
 */
async function stopDuringRequest(service: ChildService, path: string, token: string, gates: VaultGate[]) {
  for (const gate of gates) gate.hold()
  try {
    const inFlight = fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    await Promise.race(gates.map((gate) => gate.waiting()))
    const exited = service.stop('SIGTERM')
    await expect
      .poll(() => service.output.some((line) => line.includes('"msg":"shutting down"')), { timeout: 10_000 })
      .toBe(true)
    for (const gate of gates) gate.release()
    const res = await inFlight
    return { status: res.status, body: await res.text(), exit: await exited }
  } finally {
    for (const gate of gates) gate.release()
  }
}

describe('SIGTERM of each service', () => {
  it('lets the request in flight finish, then exits cleanly', async () => {
    stack = await startE2EStack({ vaultGates: true })
    const gates = stack.vaultGates as NonNullable<E2EStack['vaultGates']>
    const { gateway: gatewayToken, primaryAgent: primaryToken, secondaryAgent: secondaryToken } = stack.apiTokens
    // max_age_ms=0 (live=true through the gateway): the agents ask Vault, never answer from their cache.
    const results = {
      gateway: await stopDuringRequest(stack.gateway, '/v1/clusters?live=true', gatewayToken, [
        gates.primary,
        gates.secondary,
      ]),
      primary: await stopDuringRequest(stack.primaryAgent, '/v1/status?max_age_ms=0', primaryToken, [gates.primary]),
      secondary: await stopDuringRequest(stack.secondaryAgent, '/v1/status?max_age_ms=0', secondaryToken, [
        gates.secondary,
      ]),
    }
    for (const [name, r] of Object.entries(results)) {
      expect(r.status, `${name}: ${r.body}`).toBe(200)
      expect(r.exit, name).toEqual({ code: 0, signal: null })
    }
    // Live through the gateway: both agents answered, with what Vault said.
    expect(
      JSON.parse(results.gateway.body).clusters.map((c: { agent: { reachable: boolean } }) => c.agent.reachable),
    ).toEqual([true, true])
  })
})
