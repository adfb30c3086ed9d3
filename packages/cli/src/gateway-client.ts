import { httpUrlVar, loadEnv, pemFileVar, printableAscii } from '@vault-dr/core'
import { createServiceClient } from '@vault-dr/core/service-client'
import type { paths } from '@vault-dr/gateway/openapi'
import { z } from 'zod'
import { createEventsOpener, type OpenEvents } from './gateway-events.ts'

const CliEnv = z.object({
  VAULT_DR_GATEWAY_ADDR: httpUrlVar('must be the gateway URL, e.g. http://127.0.0.1:8400').default(
    'http://127.0.0.1:8400',
  ),
  // Sent in a header on every call: a character no header can carry would fail each call with the token quoted.
  VAULT_DR_API_TOKEN: printableAscii(
    z.string({ error: 'is required (or VAULT_DR_API_TOKEN_FILE): the gateway API token' }).min(1),
  ),
  /** PEM file of the CA that signed the gateway's certificate, when it serves https from a private CA. */
  VAULT_DR_GATEWAY_CACERT: pemFileVar.optional(),
})

export type GatewayApi = ReturnType<typeof createGatewayClient>['api']

/** What the operation commands use: the typed API, the event streams, and the address (for errors). */
export interface Gateway {
  api: GatewayApi
  events: OpenEvents
  baseUrl: string
}

/** The gateway's address and token come from the environment only: a token on a command line leaks into `ps`. */
export function gatewayClientFromEnv(env: NodeJS.ProcessEnv) {
  const parsed = loadEnv(CliEnv, env, ['VAULT_DR_API_TOKEN'])
  return createGatewayClient(
    parsed.VAULT_DR_GATEWAY_ADDR,
    parsed.VAULT_DR_API_TOKEN,
    parsed.VAULT_DR_GATEWAY_CACERT?.pem,
  )
}

// A preflight waits on both agents and their probes; the gateway bounds each of those calls itself.
const CALL_TIMEOUT_MS = 120_000

export function createGatewayClient(baseUrl: string, token: string, caPem?: string) {
  return {
    baseUrl,
    ...createServiceClient<paths>({ baseUrl, token, caPem, timeoutMs: CALL_TIMEOUT_MS }),
    events: createEventsOpener(baseUrl, token, caPem),
  }
}
