import { afterAll, describe, expect, it } from 'vitest'
import type { ChildService } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

let stack: E2EStack
afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

/** Sends a request that takes a while (the emulated Vault answers slowly), then SIGTERM while it is in flight. */
async function stopDuringRequest(service: ChildService, path: string, token: string) {
  const inFlight = fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const exited = service.stop('SIGTERM')
  const res = await inFlight
  return { status: res.status, body: await res.text(), exit: await exited }
}

describe('SIGTERM of each service', () => {
  it('lets the request in flight finish, then exits cleanly', async () => {
    stack = await startE2EStack({ latencyMs: 600 })
    const [gatewayToken, primaryToken, secondaryToken] = stack.secrets.slice(2)
    const results = {
      gateway: await stopDuringRequest(stack.gateway, '/v1/clusters?live=true', gatewayToken!),
      primary: await stopDuringRequest(stack.primaryAgent, '/v1/status', primaryToken!),
      secondary: await stopDuringRequest(stack.secondaryAgent, '/v1/status', secondaryToken!),
    }
    for (const [name, r] of Object.entries(results)) {
      expect(r.status, `${name}: ${r.body}`).toBe(200)
      expect(r.exit, name).toEqual({ code: 0, signal: null })
    }
  })
})
