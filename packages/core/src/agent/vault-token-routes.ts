import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { problemResponses } from '../problem.ts'
import type { CheckResult, ReadinessCheck } from '../server/health.ts'
import { singleFlight } from '../util/single-flight.ts'
import { checkVaultToken, type RequiredGrant, type TokenCheckOptions, VaultTokenCheck } from '../vault/token-check.ts'
import type { VaultAgent } from './vault-agent.ts'

/** How long a good answer is shared: a fleet's preflights and readiness polls then ask Vault about once a second. */
const REUSE_MS = 1_000

export interface VaultTokenChecker {
  check(maxAgeMs?: number): Promise<VaultTokenCheck>
  readiness: ReadinessCheck
  /** What the token must be able to do. */
  grants: readonly RequiredGrant[]
}

/** The agent's own token check, shared among concurrent callers, with its readiness form. */
export function createVaultTokenChecker(
  agent: VaultAgent,
  required: readonly RequiredGrant[],
  opts?: TokenCheckOptions,
): VaultTokenChecker {
  const shared = singleFlight(
    () => checkVaultToken(agent.vault, required, opts),
    REUSE_MS,
    (c) => c.status !== 'fail',
  )
  return {
    grants: required,
    check: shared.get,
    async readiness(): Promise<CheckResult> {
      const c = await shared.get()
      return { ok: c.status !== 'fail', detail: `${c.code}: ${c.detail}` }
    },
  }
}

export const vaultTokenRoutes: FastifyPluginAsyncZod<{ checker: VaultTokenChecker }> = async (app, { checker }) => {
  const paths = checker.grants.map((g) => `${g.path} (${g.capabilities.join(', ')})`).join(', ')
  app.get(
    '/vault-token',
    {
      schema: {
        operationId: 'checkVaultToken',
        tags: ['status'],
        summary: "Whether this agent's Vault token can do what its operations need",
        description:
          `Asks Vault itself, changing nothing: auth/token/lookup-self (the token is valid, and how long it has left) and ` +
          `sys/capabilities-self on ${paths}. A missing capability fails with its path named (code MISSING_CAPABILITY); ` +
          'an answer that passes is shared for a second. The token itself is never returned.',
        response: { 200: VaultTokenCheck, ...problemResponses },
      },
    },
    async () => checker.check(),
  )
}
