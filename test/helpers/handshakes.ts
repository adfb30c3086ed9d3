import { setTimeout as sleep } from 'node:timers/promises'
import type { components } from '@vault-dr/gateway/openapi'
import type { E2EStack } from './e2e-stack.ts'

export type Handshake = components['schemas']['Handshake']

export async function createHandshake(
  stack: E2EStack,
  body: Partial<components['schemas']['CreateHandshakeRequestInput']> = {},
) {
  const res = await stack.gatewayApi.POST('/v1/handshakes', {
    body: { primary: 'dc1', secondary: 'dc2', ...body } as components['schemas']['CreateHandshakeRequestInput'],
  })
  if (!res.data) throw new Error(`createHandshake answered ${res.response.status}: ${JSON.stringify(res.error)}`)
  return res.data
}

/** Polls the gateway until the handshake satisfies `done`; tolerates a gateway that is restarting. */
export async function waitForHandshake(
  stack: E2EStack,
  id: string,
  done: (h: Handshake) => boolean = (h) => ['succeeded', 'failed', 'cancelled'].includes(h.state),
  timeoutMs = 60_000,
): Promise<Handshake> {
  const deadline = Date.now() + timeoutMs
  let last: Handshake | undefined
  while (Date.now() < deadline) {
    const res = await stack.gatewayApi.GET('/v1/handshakes/{id}', { params: { path: { id } } }).catch(() => undefined)
    if (res?.data) {
      last = res.data
      if (done(last)) return last
    }
    await sleep(25)
  }
  throw new Error(`handshake ${id} not done within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`)
}
