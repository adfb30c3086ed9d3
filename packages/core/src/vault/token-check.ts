import { z } from 'zod'
import { type CodedError, isCodedError } from '../errors.ts'
import type { VaultClient } from './vault-client.ts'
import { VaultErrors } from './vault-errors.ts'

/** A path an agent's operation writes, and the capabilities Vault checks there (`sudo` on its root-protected paths). */
export interface RequiredGrant {
  path: string
  capabilities: readonly ('update' | 'sudo' | 'read' | 'create')[]
  /** The operation that needs it, for the message. */
  operation: string
}

export const VaultTokenCheck = z
  .object({
    name: z.literal('vault_token'),
    status: z.enum(['pass', 'warn', 'fail']),
    code: z
      .string()
      .describe(
        'OK, DR_SECONDARY (Vault serves no token paths there, and its primary could not be asked), TOKEN_REFUSED, CAPABILITIES_UNREADABLE, MISSING_CAPABILITY, TOKEN_EXPIRING, TOKEN_EXPIRES_SOON, or the Vault error code (VAULT_ERR_UNREACHABLE, _TLS, _TIMEOUT, _SEALED...)',
      ),
    detail: z.string(),
    fix: z.string().nullable(),
    missing: z
      .array(z.object({ path: z.string(), capability: z.string() }))
      .describe('Each capability the token lacks, with its path'),
    expires_at: z.iso.datetime().nullable().describe('When the token expires; null when it does not, or is unknown'),
    renewable: z.boolean().nullable(),
    checked_at: z.iso.datetime(),
    checked_at_primary: z
      .string()
      .nullable()
      .optional()
      .describe(
        "The primary's API address when the check was made there (this agent's cluster is a DR secondary, where Vault serves no token paths: the token the agent will act with once it is promoted is the primary's); absent or null: checked on this cluster",
      ),
  })
  .meta({ id: 'VaultTokenCheck' })
export type VaultTokenCheck = z.infer<typeof VaultTokenCheck>

export interface TokenCheckOptions {
  /** Less than this left fails: an operation could outlive the token. */
  minRemainingSeconds: number
  /** Less than this left warns: renew or replace the token soon. */
  warnRemainingSeconds: number
}

/** The code of a check made on a DR secondary, where Vault serves no token paths. */
export const DR_SECONDARY = 'DR_SECONDARY'

export const DEFAULT_TOKEN_CHECK: TokenCheckOptions = { minRemainingSeconds: 15 * 60, warnRemainingSeconds: 7 * 86_400 }

const TOKEN_FIX =
  'Give the agent a valid Vault token carrying the policy in the README (VAULT_TOKEN_FILE or VAULT_TOKEN), then restart the agent: it reads the token at start.'

/**
 * Proves, before anything changes, that the agent's Vault token is valid, not about to expire, and holds every
 * capability its operations need: auth/token/lookup-self and sys/capabilities-self, as Vault itself answers them.
 * Never includes the token, nor the lookup's id.
 */
export async function checkVaultToken(
  vault: VaultClient,
  required: readonly RequiredGrant[],
  opts: TokenCheckOptions = DEFAULT_TOKEN_CHECK,
): Promise<VaultTokenCheck> {
  const [lookup, caps] = await Promise.allSettled([
    vault.read('auth/token/lookup-self'),
    vault.write('sys/capabilities-self', { paths: required.map((r) => r.path) }, { idempotent: true }),
  ])
  if (lookup.status === 'rejected') return refused(asCoded(lookup.reason), 'lookup')
  if (caps.status === 'rejected') return refused(asCoded(caps.reason), 'capabilities')

  const info = lookup.value.body?.data ?? {}
  const ttl = typeof info.ttl === 'number' ? info.ttl : null
  const expires = typeof info.expire_time === 'string' && ttl !== null && ttl > 0
  const life = {
    expires_at: expires ? new Date(Date.now() + (ttl ?? 0) * 1000).toISOString() : null,
    renewable: typeof info.renewable === 'boolean' ? info.renewable : null,
  }
  const missing = missingGrants(required, caps.value.body?.data ?? {})
  if (missing.length > 0) return lacking(required, missing, caps.value.body?.data ?? {}, life)
  if (ttl === null || life.expires_at === null) {
    return verdict('pass', 'OK', 'the token holds every capability needed and does not expire', null, life)
  }
  const left = `expires in ${formatSeconds(ttl)} (${life.expires_at})`
  const renewHow = life.renewable
    ? 'renew it (vault token renew) or give the agent a new token (VAULT_TOKEN_FILE) and restart it'
    : 'it cannot be renewed: give the agent a new, longer-lived token (VAULT_TOKEN_FILE) and restart it'
  if (ttl < opts.minRemainingSeconds) {
    return verdict(
      'fail',
      'TOKEN_EXPIRING',
      `the agent's Vault token ${left}: less than the ${formatSeconds(opts.minRemainingSeconds)} an operation may need`,
      `The token is about to expire: ${renewHow}.`,
      life,
    )
  }
  if (ttl < opts.warnRemainingSeconds) {
    return verdict('warn', 'TOKEN_EXPIRES_SOON', `the agent's Vault token ${left}`, `Plan for it: ${renewHow}.`, life)
  }
  return verdict('pass', 'OK', `the token holds every capability needed and ${left}`, null, life)
}

function verdict(
  status: VaultTokenCheck['status'],
  code: string,
  detail: string,
  fix: string | null,
  extra: Partial<Pick<VaultTokenCheck, 'missing' | 'expires_at' | 'renewable'>> = {},
): VaultTokenCheck {
  return {
    name: 'vault_token',
    status,
    code,
    detail,
    fix,
    missing: [],
    expires_at: null,
    renewable: null,
    checked_at: new Date().toISOString(),
    ...extra,
  }
}

/** Vault did not answer one of the two questions: why, in the terms of what to do about it. */
function refused(err: CodedError, asked: 'lookup' | 'capabilities'): VaultTokenCheck {
  if (err.code === VaultErrors.drSecondaryLocked.code) {
    return verdict(
      'pass',
      DR_SECONDARY,
      "this cluster is a DR secondary: Vault answers no token paths here, and activation replaced its tokens with the primary's; status and probes need none",
      null,
    )
  }
  if (err.code !== VaultErrors.permissionDenied.code) {
    return verdict('fail', err.code, `the token could not be checked: ${err.message}`, err.fix ?? null)
  }
  if (asked === 'lookup') {
    return verdict(
      'fail',
      'TOKEN_REFUSED',
      `Vault refused the agent's token on auth/token/lookup-self (${vaultAnswer(err)}): the token is wrong, expired or revoked, or its policies lack read on auth/token/lookup-self`,
      `${TOKEN_FIX} Without the default policy, add path "auth/token/lookup-self" { capabilities = ["read"] }.`,
    )
  }
  return verdict(
    'fail',
    'CAPABILITIES_UNREADABLE',
    `Vault refused sys/capabilities-self to the agent's token (${vaultAnswer(err)}): its policies lack update on sys/capabilities-self, which the default policy grants`,
    'Add path "sys/capabilities-self" { capabilities = ["update"] } to the token\'s policy (it is in the README\'s), or give it the default policy.',
  )
}

type Missing = VaultTokenCheck['missing']

/** Each required capability sys/capabilities-self did not list on its path (root grants all, deny none). */
function missingGrants(required: readonly RequiredGrant[], granted: Record<string, unknown>): Missing {
  return required.flatMap((r) => {
    const list = granted[r.path]
    const has = new Set(Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string') : [])
    if (has.has('root')) return []
    return r.capabilities
      .filter((c) => has.has('deny') || !has.has(c))
      .map((capability) => ({ path: r.path, capability }))
  })
}

function lacking(
  required: readonly RequiredGrant[],
  missing: Missing,
  granted: Record<string, unknown>,
  life: Pick<VaultTokenCheck, 'expires_at' | 'renewable'>,
): VaultTokenCheck {
  const byPath = required.filter((r) => missing.some((m) => m.path === r.path))
  const detail = byPath
    .map((r) => {
      const lacks = missing.filter((m) => m.path === r.path).map((m) => m.capability)
      return `${r.path} lacks ${lacks.join(' and ')} (needed to ${r.operation}; Vault grants ${describeGranted(granted[r.path])})`
    })
    .join('; ')
  const hcl = byPath.map((r) => `path "${r.path}" { capabilities = [${hclCaps(r)}] }`).join(' ')
  return verdict(
    'fail',
    'MISSING_CAPABILITY',
    `the agent's Vault token cannot do what its operations need: ${detail}`,
    `Add to the token's policy (the README's policy for this agent): ${hcl}. Vault applies a policy change to existing tokens at once.`,
    { ...life, missing },
  )
}

function asCoded(err: unknown): CodedError {
  if (isCodedError(err)) return err
  return VaultErrors.failed(`checking the token failed: ${(err as Error)?.message ?? String(err)}`, { cause: err })
}

/** Vault's status and words, without our code in front. */
function vaultAnswer(err: CodedError): string {
  const words = err.upstream?.errors?.join('; ')
  return `${err.upstream?.status ?? 403}${words ? ` ${words}` : ''}`
}

function describeGranted(list: unknown): string {
  return Array.isArray(list) && list.length > 0 ? list.join(', ') : 'nothing'
}

function hclCaps(r: RequiredGrant): string {
  // The README's policies name create beside update, as HashiCorp's tutorials do.
  const caps =
    r.capabilities.includes('update') && !r.capabilities.includes('create')
      ? ['create', ...r.capabilities]
      : [...r.capabilities]
  return caps.map((c) => `"${c}"`).join(', ')
}

function formatSeconds(s: number): string {
  if (s >= 86_400) return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  if (s >= 60) return `${Math.floor(s / 60)} min`
  return `${s} s`
}
