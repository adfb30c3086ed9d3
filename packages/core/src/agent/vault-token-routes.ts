import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { problemResponses } from '../problem.ts'
import type { CheckResult, ReadinessCheck } from '../server/health.ts'
import { singleFlight } from '../util/single-flight.ts'
import {
  checkVaultToken,
  DR_SECONDARY,
  type RequiredGrant,
  type TokenCheckOptions,
  VaultTokenCheck,
} from '../vault/token-check.ts'
import { checkTokenAtPrimary, type PrimaryTokenAccess } from './token-at-primary.ts'
import type { VaultAgent } from './vault-agent.ts'

/** How long a good answer is shared: a fleet's preflights and readiness polls then ask Vault about once a second. */
const REUSE_MS = 1_000

export interface VaultTokenChecker {
  check(maxAgeMs?: number): Promise<VaultTokenCheck>
  readiness: ReadinessCheck
  /** What the token must be able to do. */
  grants: readonly RequiredGrant[]
}

/**
 * The agent's own token check, shared among concurrent callers, with its readiness form. On a DR secondary it is made
 * at the primary's API when `atPrimary` says how to reach it (checkTokenAtPrimary).
 */
export function createVaultTokenChecker(
  agent: VaultAgent,
  required: readonly RequiredGrant[],
  opts?: TokenCheckOptions,
  atPrimary?: PrimaryTokenAccess,
): VaultTokenChecker {
  const here = singleFlight(
    () => checkVaultToken(agent.vault, required, opts),
    REUSE_MS,
    (c) => c.status !== 'fail',
  )
  const check = async () => {
    const local = await here.get()
    if (local.code !== DR_SECONDARY || atPrimary === undefined) return local
    return checkTokenAtPrimary(agent, required, atPrimary, local, opts)
  }
  // A failure at the primary is shared for as long too: each one costs the primary's Vault two refused calls.
  const shared = singleFlight(check, REUSE_MS, (c) => c.status !== 'fail' || (c.checked_at_primary ?? null) !== null)
  return {
    grants: required,
    check: shared.get,
    async readiness(): Promise<CheckResult> {
      // Ready for what it serves now, from its own Vault's answers: never the primary's (a DR secondary's promote
      // needs no token of its own, and must stay possible when the primary hangs or refuses its token).
      const c = await here.get()
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
          'an answer that passes is shared for a second. On a DR secondary, where Vault serves no token paths and the ' +
          "cluster's tokens are its primary's, the same questions are asked at the primary's API (the address its DR " +
          'status names, trusted with VAULT_DR_PRIMARY_CACERT): `checked_at_primary` names it; a failure there fails this ' +
          "check but not the agent's readiness (a promote needs no token of its own). The token itself is never returned.",
        response: { 200: VaultTokenCheck, ...problemResponses },
      },
    },
    async () => checker.check(),
  )
}
