import { isCodedError, type UpstreamInfo } from '../../errors.ts'
import { classifyNetworkError } from '../../probes/classify-network-error.ts'
import { decodeActivationToken } from '../../replication/activation-token.ts'
import { addressProblem } from '../../replication/vault-address.ts'
import { VaultClient } from '../../vault/vault-client.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { redactToken } from '../agent-inputs.ts'
import {
  type InspectTokenRequest,
  type LookupCode,
  SIGNATURE_NOTE,
  type TokenInspection,
  type TokenLookup,
} from './tokens.schemas.ts'

export interface TokensServiceDeps {
  /** Deadline of the lookup call to the primary. */
  probeTimeoutMs: number
  /** Default CA for the primary's API certificate (VAULT_DR_PRIMARY_CACERT). */
  primaryCaPem: string | undefined
  now?: () => number
}

export interface TokensService {
  inspect(request: InspectTokenRequest): Promise<TokenInspection>
}

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString()

/**
 * Decodes an activation token and asks its issuer about it with sys/wrapping/lookup, which does not consume it.
 * Never returns or logs the token or its jti (the wrapping token itself).
 */
export function createTokensService(deps: TokensServiceDeps): TokensService {
  const now = deps.now ?? Date.now
  return {
    async inspect(request) {
      const decoded = decodeActivationToken(request.token)
      // The request schema already decoded it; this only narrows the type.
      if (!decoded.ok) throw new TypeError('inspect() got a token the schema should have refused')
      const { claims } = decoded
      const nowS = now() / 1000
      const lookup = await lookupToken({
        token: request.token,
        address: request.primary_api_addr ?? claims.addr,
        caPem: request.ca_pem ?? deps.primaryCaPem,
        timeoutMs: deps.probeTimeoutMs,
      })
      return {
        claims,
        issued_at: iso(claims.iat),
        expires_at: iso(claims.exp),
        not_before: claims.nbf === null ? null : iso(claims.nbf),
        seconds_left: Math.max(0, Math.floor(claims.exp - nowS)),
        expired: nowS >= claims.exp,
        signature_verified: false,
        signature_note: SIGNATURE_NOTE,
        lookup,
      }
    },
  }
}

interface LookupInput {
  token: string
  address: string | null
  caPem: string | undefined
  timeoutMs: number
}

/** sys/wrapping/lookup on the issuing primary: unauthenticated and non-consuming. Failures are reported, not thrown. */
export async function lookupToken({ token, address, caPem, timeoutMs }: LookupInput): Promise<TokenLookup> {
  const base = { address, creation_path: null, creation_time: null, creation_ttl: null }
  const failed = (code: LookupCode, detail: string, fix: string): TokenLookup => ({
    ...base,
    valid: false,
    code,
    detail: redactToken(detail, token),
    fix,
  })
  if (address === null) {
    return failed(
      'NO_PRIMARY_ADDR',
      'the token has no addr claim (the primary has no api_addr) and no primary_api_addr was given',
      "Pass primary_api_addr: the primary's API address as reachable from the secondary.",
    )
  }
  const problem = addressProblem(address)
  if (problem !== null) {
    return failed(
      'BAD_PRIMARY_ADDR',
      `the primary API address is not usable: ${problem}`,
      "Pass primary_api_addr: the primary's API address as reachable from the secondary.",
    )
  }
  const client = new VaultClient({ addr: address, caPem, timeoutMs, retries: 0 })
  try {
    const res = await client.write('sys/wrapping/lookup', { token }, { token: null })
    const data = res.body?.data ?? {}
    return {
      ...base,
      valid: true,
      creation_path: typeof data.creation_path === 'string' ? data.creation_path : null,
      creation_time: typeof data.creation_time === 'string' ? data.creation_time : null,
      creation_ttl: typeof data.creation_ttl === 'number' ? data.creation_ttl : null,
      code: 'OK',
      detail: 'the issuing primary holds this token, unused',
      fix: null,
    }
  } catch (err) {
    const [code, fix] = classifyLookupFailure(err)
    return failed(code, err instanceof Error ? err.message : String(err), fix)
  } finally {
    await client.close()
  }
}

const MINT_NEW = 'Mint a new activation token on the primary (secondary-token with a new id).'

function classifyLookupFailure(err: unknown): [LookupCode, string] {
  if (!isCodedError(err)) return ['LOOKUP_FAILED', 'Retry; if it persists, check the primary API address.']
  const upstream: UpstreamInfo | undefined = err.upstream
  const said = (fragment: string) => upstream?.errors?.some((e) => e.includes(fragment)) ?? false
  if (said('wrapping token is not valid'))
    return ['TOKEN_USED_OR_EXPIRED', `It was used, revoked or expired. ${MINT_NEW}`]
  if (said('error validating wrapping token')) {
    return [
      'TOKEN_FOREIGN',
      'The cluster at this address did not issue the token: point primary_api_addr at the issuing primary (not a standby-routing LB or another cluster).',
    ]
  }
  switch (err.code) {
    case VaultErrors.sealed.code:
      return ['PRIMARY_SEALED', 'Unseal the primary, then look the token up again.']
    case VaultErrors.badResponse.code:
      return [
        'NOT_VAULT',
        'The address answers, but not as Vault: check host and port (8200), and for proxies in the way.',
      ]
    case VaultErrors.timeout.code:
      return [
        'PRIMARY_API_TIMEOUT',
        "Open tcp/8200 from the secondary to the primary's API; check for firewalls dropping packets.",
      ]
    case VaultErrors.tls.code:
      if (!isCertificateProblem(upstream?.code ?? '')) {
        return [
          'PRIMARY_API_TLS_FAILED',
          'The TLS handshake failed: check the address speaks https (or use http://) and the port.',
        ]
      }
      return [
        'PRIMARY_API_TLS_UNTRUSTED',
        "Pass ca_pem (or set VAULT_DR_PRIMARY_CACERT) with the CA of the primary's API certificate, and use a name the certificate carries.",
      ]
    case VaultErrors.unreachable.code: {
      const kind = classifyNetworkError(err.cause).kind
      if (kind === 'refused')
        return ['PRIMARY_API_REFUSED', "Nothing listens there: check the primary's api_addr, or pass primary_api_addr."]
      if (kind === 'dns')
        return [
          'PRIMARY_API_DNS',
          'The host name does not resolve from here: pass primary_api_addr with a resolvable name or IP.',
        ]
      if (kind === 'reset')
        return ['PRIMARY_API_RESET', 'A firewall or proxy resets the connection: allow tcp/8200 from the secondary.']
      return ['PRIMARY_API_UNREACHABLE', "Check routing and firewalls between the secondary and the primary's API."]
    }
  }
  return ['LOOKUP_FAILED', "Read the detail; Vault's answer is quoted there."]
}

/** A certificate verification failure (as opposed to a handshake that failed for other reasons). */
export function isCertificateProblem(code: string): boolean {
  return /CERT|SIGNATURE|ISSUER|SELF_SIGNED|ALTNAME|LEAF/.test(code)
}
